/**
 * ILSVRC LOC XML and ImageNet-AB XML (LOC fields plus one <metadata> block per annotator), as
 * docs/synth.md and the byproducts README describe them: every value is text, booleans `True`/`False`, repeated
 * records are sibling elements, block fields in the order of the released files.
 * Hand-written: a dozen element types with no attributes and no mixed content; escaping covers the text.
 */
import type { MetadataBlock } from './annotator.js';

export interface LocAnnotation {
  folder: string;
  filename: string;
  width: number;
  height: number;
  wnid: string;
  /** Pixel box [xmin, ymin, xmax, ymax]; null writes no <object> (the object left the image). */
  box: [number, number, number, number] | null;
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function el(name: string, value: string | number | boolean): string {
  const text = typeof value === 'boolean' ? (value ? 'True' : 'False') : escapeXml(String(value));
  return `<${name}>${text}</${name}>`;
}

function locFields(a: LocAnnotation): string[] {
  const lines = [
    `  ${el('folder', a.folder)}`,
    `  ${el('filename', a.filename)}`,
    `  <source>${el('database', 'LUAB synthetic ImageNet-9')}</source>`,
    `  <size>${el('width', a.width)}${el('height', a.height)}${el('depth', 3)}</size>`,
    `  ${el('segmented', 0)}`,
  ];
  if (a.box) {
    const [xmin, ymin, xmax, ymax] = a.box;
    lines.push(
      `  <object>${el('name', a.wnid)}${el('pose', 'Unspecified')}${el('truncated', 0)}${el('difficult', 0)}` +
        `<bndbox>${el('xmin', xmin)}${el('ymin', ymin)}${el('xmax', xmax)}${el('ymax', ymax)}</bndbox></object>`,
    );
  }
  return lines;
}

function metadataXml(b: MetadataBlock): string {
  const point = (name: string, p: { time: number; x: number; y: number }): string =>
    `<${name}>${el('time', p.time)}${el('x', p.x)}${el('y', p.y)}</${name}>`;
  const lines = [
    el('assignment_id', b.assignment_id),
    el('estimateTime', b.estimateTime),
    el('hit_id', b.hit_id),
    el('hit_submit_time', b.hit_submit_time),
    el('hoveredCount', b.hoveredCount),
    ...(b.hoveredRecord.length > 0
      ? b.hoveredRecord.map((h) => `<hoveredRecord>${el('action', h.action)}${el('time', h.time)}</hoveredRecord>`)
      : ['<hoveredRecord>None</hoveredRecord>']),
    el('imageHeight', b.imageHeight),
    el('imageID', b.imageID),
    `<imagePosition>${el('x', b.imagePosition.x)}${el('y', b.imagePosition.y)}</imagePosition>`,
    el('imageWidth', b.imageWidth),
    el('image_idx', b.image_idx),
    el('imagenet_hit_id', b.imagenet_hit_id),
    ...b.mouseTracking.map((p) => point('mouseTracking', p)),
    el('originalImageHeight', b.originalImageHeight),
    el('originalImageWidth', b.originalImageWidth),
    el('page_idx', b.page_idx),
    el('selected', b.selected),
    el('selectedCount', b.selectedCount),
    ...b.selectedRecord.map((p) => point('selectedRecord', p)),
    el('worker_id', b.worker_id),
  ];
  return `  <metadata>\n${lines.map((l) => `    ${l}`).join('\n')}\n  </metadata>`;
}

/** Validation images: ILSVRC LOC XML (size and box), no byproducts. */
export function locXml(a: LocAnnotation): string {
  return `<annotation>\n${locFields(a).join('\n')}\n</annotation>\n`;
}

/** Training images: LOC fields then the annotators' <metadata> blocks (none: no byproduct for this image). */
export function imagenetAbXml(a: LocAnnotation, blocks: readonly MetadataBlock[]): string {
  return `<annotation>\n${[...locFields(a), ...blocks.map(metadataXml)].join('\n')}\n</annotation>\n`;
}
