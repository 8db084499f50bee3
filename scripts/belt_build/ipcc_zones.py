"""IPCC default climate regions from climate normals (numpy only, so tests can load it)."""

from __future__ import annotations

import numpy as np

U8_NODATA = 255

#: code -> (name, bonsai climate_zone, bonsai moisture_regime); polar has no SOC_REF in the
#: IPCC table: its cells take the boreal value (flagged by the zone code)
ZONES = {
    1: ("warm temperate, moist", "temperate-warm", "moist"),
    2: ("warm temperate, dry", "temperate-warm", "dry"),
    3: ("cool temperate, moist", "temperate-cool", "moist"),
    4: ("cool temperate, dry", "temperate-cool", "dry"),
    5: ("boreal, moist", "boreal", "undefined"),
    6: ("boreal, dry", "boreal", "undefined"),
    7: ("polar, moist (boreal SOC_REF used)", "boreal", "undefined"),
    8: ("polar, dry (boreal SOC_REF used)", "boreal", "undefined"),
}


def ipcc_climate_zone(mean_temp: np.ndarray, warmest_month: np.ndarray, precip: np.ndarray,
                      pet: np.ndarray) -> np.ndarray:
    """IPCC default climate region of each cell (codes of :data:`ZONES`; 255 = nodata).

    Rules (IPCC 2006 and 2019, Vol. 4 Ch. 3 Annex 3A.5, the temperate and colder branches):
    warm temperate 10 < MAT <= 18 deg C; cool temperate 0 < MAT <= 10; boreal MAT <= 0 with a
    month above 10 deg C; polar MAT <= 0 and every month at or below 10 deg C; moist where
    MAP / PET > 1, else dry. MAT above 18 deg C (the tropical branches, which need frost and
    elevation tests not made here; no such cell in the Belt) gives nodata, as do missing inputs.

    Parameters
    ----------
    mean_temp, warmest_month : ndarray
        Mean annual temperature and mean temperature of the warmest month, deg C.
    precip, pet : ndarray
        Mean annual precipitation and potential evapotranspiration, mm/yr.
    """
    moist = precip > pet
    zone = np.full(mean_temp.shape, U8_NODATA, dtype=np.uint8)
    warm = mean_temp > 10
    cool = (mean_temp > 0) & ~warm
    cold = mean_temp <= 0
    boreal = cold & (warmest_month > 10)
    polar = cold & ~boreal
    for mask, moist_code, dry_code in ((warm, 1, 2), (cool, 3, 4), (boreal, 5, 6), (polar, 7, 8)):
        zone[mask & moist] = moist_code
        zone[mask & ~moist] = dry_code
    known = np.isfinite(mean_temp) & np.isfinite(precip) & np.isfinite(pet) & np.isfinite(warmest_month)
    bad = (mean_temp > 18) | ~known
    zone[bad] = U8_NODATA
    return zone
