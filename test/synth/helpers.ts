// Shared by the synth tests: run the real `luab` command, read generated trees, parse XML with an independent parser.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export { REPO_ROOT } from '../helpers/paths.js';
export { LUAB, runLuab as luab, type CliResult } from '../helpers/luab-cli.js';

/** Every file below `root`, as sorted paths relative to it. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

export function readJsonLines<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/** An XML element as Python's ElementTree sees it. */
export interface XmlNode {
  tag: string;
  text: string;
  children: XmlNode[];
}

export function child(node: XmlNode, tag: string): XmlNode {
  const found = node.children.find((c) => c.tag === tag);
  if (!found) throw new Error(`<${node.tag}> has no <${tag}>`);
  return found;
}

export const children = (node: XmlNode, tag: string): XmlNode[] => node.children.filter((c) => c.tag === tag);
export const text = (node: XmlNode, tag: string): string => child(node, tag).text;

// Python's xml.etree is the parser the trainer's readers use: it checks well-formedness independently of our writer.
const XML_TO_JSON = `
import json, sys, xml.etree.ElementTree as ET
def conv(e):
    return {"tag": e.tag, "text": (e.text or "").strip(), "children": [conv(c) for c in e]}
print(json.dumps({p: conv(ET.parse(p).getroot()) for p in sys.argv[1:]}))
`;

/** Parses XML files with /usr/bin/python3's ElementTree (fails loudly when Python or a file is broken). */
export function parseXmlFiles(paths: string[]): Record<string, XmlNode> {
  const result = spawnSync('/usr/bin/python3', ['-c', XML_TO_JSON, ...paths], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (result.error) throw new Error(`cannot run /usr/bin/python3 to parse XML: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`XML parsing failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, XmlNode>;
}
