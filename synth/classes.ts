/**
 * The nine ImageNet-9 superclasses of the Backgrounds Challenge, in its index order, with the WordNet ids of
 * MadryLab's in9_classes.txt and the folder names of its release (`00_dog`, `02_wheeled vehicle`: the release keeps
 * the spaces, so readers written for it expect them).
 */

export interface SynthClass {
  index: number;
  /** Name used in configs, classes.json and icon_classes.json. */
  name: string;
  wnid: string;
  /** Folder name in the Backgrounds Challenge release: `<NN>_<label with spaces>`. */
  in9Folder: string;
  /** Human label with spaces (SI-Score folder style). */
  label: string;
}

const NAMES_AND_WNIDS: Array<[string, string]> = [
  ['dog', 'n02084071'],
  ['bird', 'n01503061'],
  ['wheeled_vehicle', 'n04576211'],
  ['reptile', 'n01661091'],
  ['carnivore', 'n02075296'],
  ['insect', 'n02159955'],
  ['musical_instrument', 'n03800933'],
  ['primate', 'n02469914'],
  ['fish', 'n02512053'],
];

export const CLASSES: readonly SynthClass[] = NAMES_AND_WNIDS.map(([name, wnid], index) => {
  const label = name.replace(/_/g, ' ');
  return { index, name, wnid, label, in9Folder: `${String(index).padStart(2, '0')}_${label}` };
});

export const CLASS_NAMES: readonly string[] = CLASSES.map((c) => c.name);

export function classByName(name: string): SynthClass {
  const found = CLASSES.find((c) => c.name === name);
  if (!found) throw new Error(`unknown class "${name}"; the classes are ${CLASS_NAMES.join(', ')}`);
  return found;
}
