/**
 * Label spaces: how a model's classes meet a suite's, always by wnid (ModelLabels.labels[i].wnid).
 *
 * Three ways a model can be scored on a suite, tried in this order:
 * - `direct`: the model has every wnid of the suite's space. Its scores are restricted to those classes (the
 *   ImageNet-A/R/O 200-class masks of hendrycks' eval code; the whole 1k for IN-val) and the argmax is the answer.
 * - `to-in9`: the suite is IN-9 (Backgrounds Challenge, the embedded benchmark) and the model's classes are IN-1k
 *   wnids: the argmax over ALL the model's classes is mapped to IN-9 with MadryLab's in_to_in9.json; an unmapped
 *   class is a wrong answer (in9_eval.py maps `-1`, which never equals a label).
 * - `from-in9`: the model is an IN-9 model and the suite's classes are IN-1k wnids: the item's targets are mapped
 *   to IN-9; an item none of whose targets maps is skipped (and counted), as the issue asks.
 * Anything else is an error naming the model, the suite and the wnids that did not match.
 */
import {
  imagenetAWnids,
  imagenetOWnids,
  imagenetRWnids,
  in1kToIn9,
  in1kWnids,
  in9Classes,
  objectnetFolders,
} from './data/load.js';
import type { ModelLabels } from './types.js';

/** The classes a suite's answers are chosen from. */
export interface SuiteLabelSpace {
  /** `in1k`, `imagenet-a`, `imagenet-r`, `imagenet-o`, `objectnet-113`, `in9`. */
  name: string;
  /** `in1k`: a subset of the IN-1k wnids; `in9`: the 9 IN-9 superclass wnids. */
  kind: 'in1k' | 'in9';
  wnids: string[];
}

const spaceCache = new Map<string, SuiteLabelSpace>();
function space(name: string, kind: 'in1k' | 'in9', wnids: () => string[]): SuiteLabelSpace {
  let s = spaceCache.get(name);
  if (!s) {
    s = { name, kind, wnids: wnids() };
    spaceCache.set(name, s);
  }
  return s;
}

/** The label spaces of the registered suites. */
export const SPACES = {
  in1k: (): SuiteLabelSpace => space('in1k', 'in1k', in1kWnids),
  imagenetA: (): SuiteLabelSpace => space('imagenet-a', 'in1k', imagenetAWnids),
  imagenetR: (): SuiteLabelSpace => space('imagenet-r', 'in1k', imagenetRWnids),
  imagenetO: (): SuiteLabelSpace => space('imagenet-o', 'in1k', imagenetOWnids),
  /** The 125 IN-1k classes of ObjectNet's 113 overlapping classes (sorted by IN-1k index). */
  objectnet113: (): SuiteLabelSpace =>
    space('objectnet-113', 'in1k', () => {
      const all = in1kWnids();
      const indices = new Set(Object.values(objectnetFolders()).flatMap((f) => f.imagenet_1k_indices));
      return [...indices].sort((a, b) => a - b).map((i) => all[i]);
    }),
  in9: (): SuiteLabelSpace => space('in9', 'in9', () => in9Classes().map((c) => c.wnid)),
};

let in9WnidSet: Set<string> | undefined;
/** True for the 9 IN-9 superclass wnids (none of them is an IN-1k class). */
export function isIn9Wnid(wnid: string): boolean {
  in9WnidSet ??= new Set(SPACES.in9().wnids);
  return in9WnidSet.has(wnid);
}

let in1kIndex: Map<string, number> | undefined;
/** IN-1k class index of a wnid, or undefined. */
export function in1kIndexOf(wnid: string): number | undefined {
  in1kIndex ??= new Map(in1kWnids().map((w, i) => [w, i]));
  return in1kIndex.get(wnid);
}

/** The IN-9 wnid an IN-1k wnid belongs to (in_to_in9.json), or null. */
export function in9OfIn1k(wnid: string): string | null {
  const index = in1kIndexOf(wnid);
  if (index === undefined) return null;
  const in9 = in1kToIn9()[index];
  return in9 < 0 ? null : in9Classes()[in9].wnid;
}

/**
 * The space an item is scored in: the suite's, unless the item's targets are IN-9 wnids (the embedded
 * benchmark's copy of a suite whose real release is IN-1k, e.g. its ImageNet-C or ImageNet-R).
 */
export function spaceForItem(suiteSpace: SuiteLabelSpace, targetWnids: string[]): SuiteLabelSpace {
  if (targetWnids.length > 0 && targetWnids.every(isIn9Wnid)) return SPACES.in9();
  return suiteSpace;
}

/** How one model is scored in one space (see the module comment). */
export interface LabelScorer {
  mode: 'direct' | 'to-in9' | 'from-in9';
  space: SuiteLabelSpace;
  /**
   * The answer in the space (null: the model's top class maps nowhere, a wrong answer) and the confidence: the
   * top score renormalised over the classes considered, which for softmax outputs equals the softmax over the
   * restricted logits (hendrycks' `softmax(output[:, mask]).max()`).
   */
  predict(scores: ArrayLike<number>): { wnid: string | null; confidence: number };
  /** The item's targets in the answer space; null when none can be scored (the item is skipped). */
  mapTargets(targetWnids: string[]): string[] | null;
}

const describeModel = (model: ModelLabels): string => `model "${model.name}" v${model.version}`;

/** The model's wnids by class index; throws naming the model when a label has none. */
export function modelWnids(model: ModelLabels): string[] {
  if (model.labels.length === 0) throw new Error(`${describeModel(model)} has no labels (config.json labels)`);
  const missing = model.labels.map((l, i) => (l.wnid ? -1 : i)).filter((i) => i >= 0);
  if (missing.length === model.labels.length) {
    throw new Error(
      `${describeModel(model)}: none of its ${model.labels.length} labels has a wnid (config.json labels[].wnid); ` +
        'evaluation matches model and suite classes by wnid',
    );
  }
  if (missing.length > 0) {
    const i = missing[0];
    throw new Error(
      `${describeModel(model)}: labels[${i}] ("${model.labels[i].name}") has no wnid (config.json labels[].wnid)` +
        (missing.length > 1 ? ` (and ${missing.length - 1} more labels without one)` : ''),
    );
  }
  return model.labels.map((l) => l.wnid as string);
}

const listSome = (wnids: string[], n = 5): string =>
  wnids.slice(0, n).join(', ') + (wnids.length > n ? ` and ${wnids.length - n} more` : '');

function argmaxOver(scores: ArrayLike<number>, indices: number[]): { at: number; value: number; sum: number } {
  let at = -1;
  let value = -Infinity;
  let sum = 0;
  for (const i of indices) {
    const s = scores[i];
    sum += s;
    // Ties go to the lowest class index, as numpy/torch argmax.
    if (s > value) {
      value = s;
      at = i;
    }
  }
  return { at, value, sum };
}

function build(model: ModelLabels, target: SuiteLabelSpace, suite: string): LabelScorer {
  const wnids = modelWnids(model);
  const modelIndex = new Map<string, number>();
  wnids.forEach((w, i) => {
    if (!modelIndex.has(w)) modelIndex.set(w, i);
  });
  const missing = target.wnids.filter((w) => !modelIndex.has(w));

  if (missing.length === 0) {
    const indices = target.wnids.map((w) => modelIndex.get(w) as number).sort((a, b) => a - b);
    return {
      mode: 'direct',
      space: target,
      predict(scores) {
        const { at, value, sum } = argmaxOver(scores, indices);
        return { wnid: wnids[at], confidence: sum > 0 ? value / sum : value };
      },
      mapTargets: (targets) => targets,
    };
  }

  const in9 = in9Classes();
  if (target.kind === 'in9') {
    const toIn9 = wnids.map((w) => in9OfIn1k(w));
    const unreachable = in9.filter((c) => !toIn9.includes(c.wnid));
    if (unreachable.length === 0) {
      const all = wnids.map((_, i) => i);
      return {
        mode: 'to-in9',
        space: target,
        predict(scores) {
          const { at, value } = argmaxOver(scores, all);
          return { wnid: toIn9[at], confidence: value };
        },
        mapTargets: (targets) => targets,
      };
    }
    throw new Error(
      `${describeModel(model)} cannot be scored on suite "${suite}" (IN-9 classes): the model lacks the IN-9 wnids ` +
        `${listSome(missing)}, and through in_to_in9.json its classes reach no IN-1k class of ` +
        unreachable.map((c) => `${c.name} (${c.wnid})`).join(', '),
    );
  }

  const modelIn9 = in9.map((c) => modelIndex.get(c.wnid));
  if (modelIn9.every((i) => i !== undefined)) {
    const indices = (modelIn9 as number[]).slice().sort((a, b) => a - b);
    return {
      mode: 'from-in9',
      space: SPACES.in9(),
      predict(scores) {
        const { at, value, sum } = argmaxOver(scores, indices);
        return { wnid: wnids[at], confidence: sum > 0 ? value / sum : value };
      },
      mapTargets(targets) {
        const mapped = [...new Set(targets.map(in9OfIn1k).filter((w): w is string => w !== null))];
        return mapped.length > 0 ? mapped : null;
      },
    };
  }
  throw new Error(
    `${describeModel(model)} cannot be scored on suite "${suite}" (label space ${target.name}, ` +
      `${target.wnids.length} wnids): the model lacks ${missing.length} of them (${listSome(missing)}) and is not an ` +
      `IN-9 model (missing IN-9 wnids ${listSome(in9.filter((c) => !modelIndex.has(c.wnid)).map((c) => c.wnid))})`,
  );
}

const scorers = new WeakMap<ModelLabels, Map<string, LabelScorer>>();

/** The scorer of a model in a space, built once per model object; throws when they cannot be matched. */
export function labelScorer(model: ModelLabels, target: SuiteLabelSpace, suite: string): LabelScorer {
  let byModel = scorers.get(model);
  if (!byModel) {
    byModel = new Map();
    scorers.set(model, byModel);
  }
  let scorer = byModel.get(target.name);
  if (!scorer) {
    scorer = build(model, target, suite);
    byModel.set(target.name, scorer);
  }
  return scorer;
}

/**
 * checkLabels for a suite that may come in several spaces (its real release and the embedded benchmark's IN-9
 * copy): the model must be scorable in each, so the check does not depend on which folder the job finds.
 */
export function checkSpaces(model: ModelLabels, spaces: SuiteLabelSpace[], suite: string): void {
  for (const s of spaces) labelScorer(model, s, suite);
}
