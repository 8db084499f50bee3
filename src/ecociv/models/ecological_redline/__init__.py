"""``ecological_redline`` — ecological protection red line (《生态保护红线划定指南》2017)."""
