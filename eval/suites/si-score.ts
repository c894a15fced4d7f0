/**
 * SI-Score (Yung et al. 2021; google-research/si-score): objects pasted on backgrounds with one factor varied.
 * Three suites, one per released variant: `si-size` (`area/`), `si-rotation` (`rotation/`), `si-location`
 * (`location20_area02_min0pc/`), each `<variant>/<class folder>/<image_id>.jpg` with the generator's
 * metadata.csv in the variant folder (the release publishes it beside the zip: put it there).
 *
 * Label: the class folder's IN-1k wnid (label_str_to_imagenet_classes, eval/data/si_score_classes.json); the
 * embedded benchmark's copy (`suites/si_score/<variant>/`) names IN-9 classes instead (`wheeled vehicle`).
 * Metric (robustness_metrics `synthetic`): accuracy per group (area value / rotation angle / (x, y) pair from
 * metadata.csv), then the unweighted mean over groups. Location: the embedded benchmark's objects.jsonl, else the
 * object's centre from metadata.csv.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { in9Classes, siScoreFolderWnids } from '../data/load.js';
import { SPACES } from '../label-space.js';
import { Sidecar, parseSiScoreMetadata, siScoreLocation, type SiScoreRow } from '../locations.js';
import { groupAccuracy, macroAverage } from '../metrics/accuracy.js';
import type { EvalItem } from '../types.js';
import { classFolders, defineSuite, imagesIn, metric, rel, stem } from './common.js';
import { registerSuite } from './registry.js';

interface SiVariant {
  name: string;
  folder: string;
  metricName: string;
  group: (row: SiScoreRow) => string;
}

const VARIANTS: SiVariant[] = [
  { name: 'si-size', folder: 'area', metricName: 'si_size', group: (r) => String(r.area) },
  { name: 'si-rotation', folder: 'rotation', metricName: 'si_rotation', group: (r) => String(r.rotation) },
  {
    name: 'si-location',
    folder: 'location20_area02_min0pc',
    metricName: 'si_location',
    group: (r) => `${r.x_coord},${r.y_coord}`,
  },
];

/** A class folder → wnid: SI-Score's own names first, then the IN-9 names of the embedded benchmark. */
function folderWnid(suite: string, root: string, folder: string): string {
  const si = siScoreFolderWnids()[folder];
  if (si) return si;
  const in9 = in9Classes().find((c) => c.name === folder.replace(/ /g, '_'));
  if (in9) return in9.wnid;
  throw new Error(
    `${suite}: class folder "${folder}" in ${root} is neither an SI-Score class (eval/data/si_score_classes.json) nor an IN-9 class`,
  );
}

for (const variant of VARIANTS) {
  registerSuite(
    defineSuite({
      name: variant.name,
      rootNames: [variant.folder, `suites/si_score/${variant.folder}`],
      resize: 'model',
      space: SPACES.in1k,
      in9Copy: true,
      headline: [variant.metricName],
      async list(root) {
        const metadataFile = join(root, 'metadata.csv');
        if (!existsSync(metadataFile)) {
          throw new Error(
            `${variant.name}: ${metadataFile} is missing (SI-Score publishes it as object_{size,rotation,location}/metadata.csv; put it in the variant folder)`,
          );
        }
        const rows = parseSiScoreMetadata(await readFile(metadataFile, 'utf8'), metadataFile);
        const sidecar = await Sidecar.find(root);
        const items: EvalItem[] = [];
        for (const folder of await classFolders(variant.name, root)) {
          const wnid = folderWnid(variant.name, root, folder);
          for (const file of await imagesIn(variant.name, join(root, folder))) {
            const id = Number(stem(file));
            const row = Number.isInteger(id) ? rows.get(id) : undefined;
            if (!row)
              throw new Error(
                `${variant.name}: ${join(root, folder, file)}: no image_id ${stem(file)} in ${metadataFile}`,
              );
            const path = rel(folder, file);
            const location =
              sidecar?.location(path, root) ??
              (sidecar ? undefined : siScoreLocation(row, row.bg_resolution_width, row.bg_resolution_height));
            items.push({
              suite: variant.name,
              variant: variant.folder,
              path,
              absPath: join(root, folder, file),
              targetWnids: [wnid],
              group: variant.group(row),
              attributes: {
                image_id: id,
                area: row.area,
                rotation: row.rotation,
                x_coord: row.x_coord,
                y_coord: row.y_coord,
              },
              ...(location ? { location } : {}),
            });
          }
        }
        return items;
      },
      metrics(scored, result) {
        if (scored.length === 0) return;
        const perGroup = groupAccuracy(
          scored.map((l) => l.group ?? ''),
          scored.map((l) => l.score.correct),
        );
        result.metrics[variant.metricName] = metric.higher(macroAverage(perGroup), scored.length);
        result.breakdowns![
          `accuracy_by_${variant.folder === 'area' ? 'area' : variant.folder === 'rotation' ? 'rotation' : 'location'}`
        ] = perGroup;
        delete result.breakdowns!.accuracy_by_variant;
        result.notes.push(
          `${variant.metricName} = unweighted mean of the accuracy of ${Object.keys(perGroup).length} groups`,
        );
      },
    }),
  );
}
