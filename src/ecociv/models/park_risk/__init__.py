"""Environmental risk screening of industrial parks with the structure of HJ 169-2018."""
