/**
 * Reads a Debian package's `usr/share/doc/<pkg>/copyright` and finds the paragraph that covers one installed file,
 * so the downscaled background photos keep their attribution.
 *
 * Hand-written because no npm package parses DEP-5 (the format is RFC-822-like paragraphs; 60 lines suffice).
 * DEP-5 `Files:` globs are paths in the *source* tree, while we only know the *installed* path, so a pattern is
 * matched against a suffix of the installed path. A wildcard pattern is only trusted when it names at least two
 * directories (`backgrounds/mrmamurk/*`): a one-directory pattern such as opencv's `data/*` would also claim
 * `examples/data/aloeL.jpg`, which comes from `samples/data/` in the source. Without a trusted match the package's
 * catch-all `Files: *` paragraph applies, unless exactly one pattern names a file of the same name. The caller cross-checks the licence against backgrounds.tsv.
 * @internal
 */

/** One `Files:` paragraph of a machine-readable copyright file. */
export interface CopyrightParagraph {
  files: string[];
  copyright: string[];
  license: string;
}

/** What covers one installed file. `machineReadable` is false for free-text copyright files. */
export interface CopyrightMatch {
  machineReadable: boolean;
  /** The matching `Files:` pattern, `*` for the package default, undefined for free-text files. */
  pattern?: string;
  copyright: string[];
  license?: string;
}

const DEP5_FORMAT_LINE = /^Format:\s*https?:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/?/;

/** Splits DEP-5 text into paragraphs of fields; continuation lines (leading space) join their field. */
function parseParagraphs(text: string): Array<Map<string, string[]>> {
  const paragraphs: Array<Map<string, string[]>> = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string[]>();
    let current: string[] | undefined;
    for (const line of block.split('\n')) {
      const field = /^([A-Za-z-]+):\s?(.*)$/.exec(line);
      if (field && !line.startsWith(' ')) {
        current = [field[2].trim()].filter((v) => v.length > 0);
        fields.set(field[1].toLowerCase(), current);
      } else if (current && /^\s/.test(line)) {
        const value = line.trim();
        if (value.length > 0 && value !== '.') current.push(value);
      }
    }
    if (fields.size > 0) paragraphs.push(fields);
  }
  return paragraphs;
}

/** Parses the `Files:` paragraphs; returns undefined when the file is not DEP-5 (free text). */
export function parseDep5(text: string): CopyrightParagraph[] | undefined {
  if (!DEP5_FORMAT_LINE.test(text.trimStart())) return undefined;
  return parseParagraphs(text)
    .filter((p) => p.has('files'))
    .map((p) => ({
      files: (p.get('files') ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v.length > 0),
      copyright: p.get('copyright') ?? [],
      license: (p.get('license') ?? [''])[0],
    }));
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`(^|/)${body}$`);
}

function isTrustedPattern(pattern: string): boolean {
  if (pattern === '*') return false;
  const parts = pattern.split('/');
  const last = parts[parts.length - 1];
  const lastHasWildcard = /[*?]/.test(last);
  return !lastHasWildcard || parts.length >= 3;
}

/** Finds the paragraph covering `installedPath` (last trusted match wins, as in DEP-5; else `Files: *`). */
export function findCopyright(text: string, installedPath: string): CopyrightMatch {
  const paragraphs = parseDep5(text);
  if (!paragraphs) return { machineReadable: false, copyright: [] };
  const basename = installedPath.split('/').pop() ?? installedPath;
  let match: CopyrightMatch | undefined;
  const sameName: CopyrightMatch[] = [];
  let fallback: CopyrightMatch | undefined;
  for (const p of paragraphs) {
    for (const pattern of p.files) {
      const found = { machineReadable: true, pattern, copyright: p.copyright, license: p.license };
      if (pattern === '*') fallback = found;
      else if (isTrustedPattern(pattern) && globToRegExp(pattern).test(installedPath)) match = found;
      else if (pattern.split('/').pop() === basename) sameName.push(found);
    }
  }
  // Packages that install into a different folder than the source tree (lomiri: 16.04/x.jpg -> backgrounds/x.jpg)
  // are still matched when exactly one pattern names the very same file.
  const unique = sameName.length === 1 ? sameName[0] : undefined;
  return match ?? unique ?? fallback ?? { machineReadable: true, copyright: [] };
}

/** Licence names as the tsv and the copyright files spell them differ in trivia (`GPL-2+` vs `GPL-2.0+`). */
export function normaliseLicence(licence: string): string {
  return licence
    .toLowerCase()
    .replace(/\.0(\+?)$/, '$1')
    .replace(/\.0(?=[^0-9])/g, '')
    .replace(/[\s_]+/g, '-')
    .replace(/^public-domain$|^pd$/, 'public-domain');
}

/** True when the copyright file's licence expression is `tsvLicence` or an `AND` combination that includes it. */
export function licenceCovers(copyrightLicence: string, tsvLicence: string): boolean {
  const parts = normaliseLicence(copyrightLicence).split('-and-');
  return (
    parts.includes(normaliseLicence(tsvLicence)) || normaliseLicence(copyrightLicence) === normaliseLicence(tsvLicence)
  );
}
