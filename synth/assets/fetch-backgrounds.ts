/**
 * One-off maintenance script: rebuilds synth/assets/backgrounds/ from the Debian packages listed in
 * synth/assets/backgrounds.tsv. The output is committed, so generating data never needs apt; run this only to
 * change the photo list or the stored resolution.
 *
 *   npx tsx synth/assets/fetch-backgrounds.ts [--debs DIR] [--short-side 256] [--quality 85]
 *
 * Steps: `apt-get download` each package (no install; reuses .deb files already in --debs), extract only the listed
 * files and the package's copyright file, downscale every photo once with sharp (short side 256 px: a 64 px image
 * crops at least 128 px of it, and --size 128 still samples at 1:1 or better), and write <id>.jpg, index.json,
 * LICENSES.md and the copyright/licence texts. Nothing is replaced unless every step succeeded.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import sharp from 'sharp';
import { findCopyright, licenceCovers, normaliseLicence } from './debian-copyright.js';
import { parseBackgroundList, type BackgroundListRow } from './background-list.js';
import type { BackgroundIndexEntry } from '../backgrounds.js';
import { assetsDir } from '../paths.js';

const log = (line: string): void => void process.stderr.write(`fetch-backgrounds: ${line}\n`);

/** Debian licence texts shipped beside the photos, for the licences whose full text the copyright files omit. */
const COMMON_LICENCE_FILES: Record<string, string> = {
  'gpl-2+': 'GPL-2',
  'gpl-3+': 'GPL-3',
  'lgpl-2.1+': 'LGPL-2.1',
  'apache-2': 'Apache-2.0',
  'cc0-1': 'CC0-1.0',
};

function downloadPackage(pkg: string, debsDir: string): string {
  const existing = readdirSync(debsDir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (existing) return join(debsDir, existing);
  log(`apt-get download ${pkg}`);
  execFileSync('apt-get', ['download', pkg], { cwd: debsDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const deb = readdirSync(debsDir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${debsDir}`);
  return join(debsDir, deb);
}

function extract(deb: string, into: string, paths: string[]): void {
  mkdirSync(into, { recursive: true });
  // Only the listed members: supertuxkart-data alone unpacks to well over a gigabyte.
  execFileSync(
    'sh',
    [
      '-c',
      'deb=$1; dir=$2; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" "$@"',
      'sh',
      deb,
      into,
      ...paths.map((p) => `./${p}`),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

function summariseCopyright(lines: string[], pkg: string): string {
  if (lines.length === 0) return `see copyright/${pkg}.txt`;
  const shown = lines.slice(0, 3).join('; ');
  return lines.length > 3 ? `${shown}; and others (full list: copyright/${pkg}.txt)` : shown;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      debs: { type: 'string' },
      'short-side': { type: 'string', default: '256' },
      quality: { type: 'string', default: '85' },
    },
    strict: true,
  });
  const shortSide = Number(values['short-side']);
  const quality = Number(values.quality);
  if (!Number.isInteger(shortSide) || shortSide < 64)
    throw new Error(`--short-side must be an integer >= 64, got ${values['short-side']}`);
  if (!Number.isInteger(quality) || quality < 50 || quality > 100)
    throw new Error(`--quality must be 50..100, got ${values.quality}`);

  const assets = assetsDir();
  const rows = parseBackgroundList(
    readFileSync(join(assets, 'backgrounds.tsv'), 'utf8'),
    'synth/assets/backgrounds.tsv',
  );
  const work = mkdtempSync(join(tmpdir(), 'luab-backgrounds-'));
  const debsDir = values.debs ?? join(work, 'debs');
  mkdirSync(debsDir, { recursive: true });
  const staging = join(assets, 'backgrounds.staging');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'copyright'), { recursive: true });
  mkdirSync(join(staging, 'licenses'), { recursive: true });

  const byPackage = new Map<string, BackgroundListRow[]>();
  for (const row of rows) byPackage.set(row.package, [...(byPackage.get(row.package) ?? []), row]);

  const index: BackgroundIndexEntry[] = [];
  const mismatches: string[] = [];
  const licenceTexts = new Set<string>();
  for (const [pkg, pkgRows] of byPackage) {
    const deb = downloadPackage(pkg, debsDir);
    const version = execFileSync('dpkg-deb', ['-f', deb, 'Version'], { encoding: 'utf8' }).trim();
    const root = join(work, 'x', pkg);
    const copyrightPath = `usr/share/doc/${pkg}/copyright`;
    extract(deb, root, [...pkgRows.map((r) => r.path), copyrightPath]);
    const copyrightText = readFileSync(join(root, copyrightPath), 'utf8');
    writeFileSync(join(staging, 'copyright', `${pkg}.txt`), copyrightText);
    for (const row of pkgRows) {
      const out = join(staging, `${row.id}.jpg`);
      const info = await sharp(join(root, row.path))
        .rotate()
        .flatten({ background: '#ffffff' })
        .resize({
          width: row.width <= row.height ? shortSide : undefined,
          height: row.height < row.width ? shortSide : undefined,
          withoutEnlargement: true,
        })
        .jpeg({ quality })
        .toFile(out);
      const match = findCopyright(copyrightText, row.path);
      if (match.license !== undefined && !licenceCovers(match.license, row.licence)) {
        mismatches.push(
          `${row.id} (${pkg} ${row.path}): tsv says ${row.licence}, copyright paragraph "Files: ${match.pattern}" says ${match.license}`,
        );
      }
      // The copyright file is the authority; the tsv may name one part of an "A AND B" expression.
      const licence = match.license ?? row.licence;
      for (const part of normaliseLicence(licence).split('-and-')) {
        const licenceFile = COMMON_LICENCE_FILES[part];
        if (licenceFile) licenceTexts.add(licenceFile);
      }
      index.push({
        id: row.id,
        file: `${row.id}.jpg`,
        scene: row.scene,
        width: info.width,
        height: info.height,
        package: pkg,
        package_version: version,
        path: row.path,
        licence,
        copyright: summariseCopyright(match.copyright, pkg),
        copyright_pattern: match.pattern ?? null,
        original_width: row.width,
        original_height: row.height,
      });
    }
    log(`${pkg} ${version}: ${pkgRows.length} photo(s)`);
  }
  if (mismatches.length > 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`licence column disagrees with the package copyright file:\n  ${mismatches.join('\n  ')}`);
  }
  for (const name of licenceTexts)
    copyFileSync(join('/usr/share/common-licenses', name), join(staging, 'licenses', name));

  index.sort((a, b) => a.id.localeCompare(b.id));
  // Formatted as the repository's prettier config would, so the committed index passes `prettier --check`.
  const indexJson = JSON.stringify({ short_side: shortSide, jpeg_quality: quality, photos: index });
  const prettierOptions = (await prettier.resolveConfig(join(assets, 'index.json'))) ?? {};
  writeFileSync(join(staging, 'index.json'), await prettier.format(indexJson, { ...prettierOptions, parser: 'json' }));
  writeFileSync(join(staging, 'LICENSES.md'), licensesMarkdown(index, shortSide, quality));
  const target = join(assets, 'backgrounds');
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  rmSync(work, { recursive: true, force: true });
  log(`wrote ${index.length} photos to ${target}`);
}

function licensesMarkdown(index: BackgroundIndexEntry[], shortSide: number, quality: number): string {
  const lines = [
    '# Background photographs: origin and licences',
    '',
    `Each photo below is a copy of a file from a Debian 12 package, downscaled once to ${shortSide} px on the short side`,
    `(JPEG quality ${quality}) by \`synth/assets/fetch-backgrounds.ts\`; nothing else was changed. The originals, and`,
    'their full-resolution sources, are in the named packages (`apt-get source <package>`). The copyright line is',
    "the matching paragraph of the package's copyright file (copied verbatim to `copyright/<package>.txt`); the",
    'licence texts that those files only reference are in `licenses/`. Redistribution of these modified copies is',
    'under the same licence as each original (GPL/LGPL: this folder and the script are the corresponding source).',
    '',
    '| id | scene | package (version) | original path | licence | copyright |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const e of index) {
    lines.push(
      `| ${e.id} | ${e.scene} | ${e.package} (${e.package_version}) | \`${e.path}\` | ${e.licence} | ${e.copyright.replace(/\|/g, '\\|')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
