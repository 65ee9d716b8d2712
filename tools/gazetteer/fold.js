'use strict';
// Name folding shared by convert.js (which stores the folded key of every city) and
// gen_fold_table.js (which emits the same mapping as a C++ table for om::geo::FoldName). Keeping one
// definition here is what makes the stored keys and the C++ folding of user queries agree; the C++
// test FoldNameMatchesStoredKeys checks it over every city.
//
// Per code point:
//   ASCII letters/digits      -> lowercase
//   apostrophe-like marks     -> dropped ("St. John's" -> "st johns")
//   other punctuation/space   -> separator (runs collapse to one space, none at the ends)
//   table ranges (below)      -> NFKD, combining marks removed, a few letters without a
//                                decomposition spelled out (ß -> ss, ø -> o, ł -> l, ...), lowercase;
//                                kept unchanged when the result is not plain ASCII
//   everything else           -> kept unchanged (e.g. Cyrillic, Arabic, CJK)

// Code point ranges the C++ table covers: Latin-1 Supplement, Latin Extended-A/B, IPA, spacing
// modifiers, combining diacritics, Latin Extended Additional, General Punctuation.
const TABLE_RANGES = [
  [0x0080, 0x0370],
  [0x1e00, 0x1f00],
  [0x2000, 0x2070],
];

const APOSTROPHES = new Set([0x27, 0x60, 0xb4, 0x2b9, 0x2bb, 0x2bc, 0x2bd, 0x2be, 0x2bf, 0x2018,
  0x2019, 0x201b, 0x2032]);

const SPECIAL = {
  'Æ': 'ae', 'æ': 'ae', 'Œ': 'oe', 'œ': 'oe', 'ß': 'ss', 'ẞ': 'ss', 'Ø': 'o', 'ø': 'o',
  'Ł': 'l', 'ł': 'l', 'Đ': 'd', 'đ': 'd', 'Ð': 'd', 'ð': 'd', 'Þ': 'th', 'þ': 'th', 'Ħ': 'h',
  'ħ': 'h', 'ı': 'i', 'Ŧ': 't', 'ŧ': 't', 'ĸ': 'k', 'Ŋ': 'n', 'ŋ': 'n', 'ƒ': 'f', 'Ə': 'e',
  'ə': 'e', 'ǝ': 'e', 'Ɛ': 'e', 'ɛ': 'e', 'Ɨ': 'i', 'ɨ': 'i', 'Ƶ': 'z', 'ƶ': 'z', 'Ɓ': 'b',
  'ɓ': 'b', 'Ɗ': 'd', 'ɗ': 'd', 'Ƙ': 'k', 'ƙ': 'k', 'Ɲ': 'n', 'ɲ': 'n', 'Ɔ': 'o', 'ɔ': 'o',
  'Ʃ': 'sh', 'ʃ': 'sh', 'Ʒ': 'z', 'ʒ': 'z', 'Ƴ': 'y', 'ƴ': 'y', 'Ɵ': 'o', 'ɵ': 'o', 'Ƀ': 'b',
  'ƀ': 'b', 'Ȼ': 'c', 'ȼ': 'c', 'Ɇ': 'e', 'ɇ': 'e', 'Ɉ': 'j', 'ɉ': 'j', 'Ɍ': 'r', 'ɍ': 'r',
  'Ɏ': 'y', 'ɏ': 'y', 'Ⱥ': 'a', 'Ⱦ': 't', 'ȸ': 'db', 'ȹ': 'qp', 'ȡ': 'd', 'ȴ': 'l', 'ȵ': 'n',
  'ȶ': 't', 'ȷ': 'j', 'Ƒ': 'f', 'Ɩ': 'i', 'ɩ': 'i', 'Ƹ': 'z', 'ƹ': 'z', 'Ȝ': 'y', 'ȝ': 'y',
};

const SEP = ' ';
const KEEP = null;

function inTable(cp) {
  return TABLE_RANGES.some(([lo, hi]) => cp >= lo && cp < hi);
}

// Returns the folded form of one code point: a string over [a-z0-9 ] (' ' = separator, '' = drop),
// or KEEP (null) when the code point is copied unchanged.
function foldCodePoint(cp) {
  if (cp < 0x80) {
    if (cp >= 0x41 && cp <= 0x5a) return String.fromCharCode(cp + 0x20);
    if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39)) return String.fromCharCode(cp);
    if (APOSTROPHES.has(cp)) return '';
    return SEP;
  }
  if (!inTable(cp)) return KEEP;
  if (APOSTROPHES.has(cp)) return '';
  if (cp >= 0x300 && cp < 0x370) return '';  // combining diacritical marks
  const ch = String.fromCodePoint(cp);
  if (SPECIAL[ch] !== undefined) return SPECIAL[ch];
  let out = '';
  for (const d of ch.normalize('NFKD')) {
    const dcp = d.codePointAt(0);
    if (dcp >= 0x300 && dcp < 0x370) continue;
    if (SPECIAL[d] !== undefined) {
      out += SPECIAL[d];
    } else if (dcp < 0x80) {
      out += foldCodePoint(dcp);
    } else if (APOSTROPHES.has(dcp) || dcp === 0xb7) {
      // dropped: apostrophes and the Catalan middle dot of "ŀ"
    } else if (/[\p{P}\p{S}\p{Z}\p{C}]/u.test(d)) {
      out += SEP;
    } else {
      return KEEP;  // a letter we cannot spell in ASCII
    }
  }
  return out;
}

// FoldName(utf8): see the header comment. `name` is a JS string (valid UTF-16).
function foldName(name) {
  let out = '';
  let pendingSep = false;
  for (const ch of name) {
    let f = foldCodePoint(ch.codePointAt(0));
    if (f === KEEP) f = ch;
    for (const c of f) {
      if (c === SEP) {
        pendingSep = out.length > 0;
      } else {
        if (pendingSep) out += SEP;
        pendingSep = false;
        out += c;
      }
    }
  }
  return out;
}

module.exports = { TABLE_RANGES, foldCodePoint, foldName, KEEP };
