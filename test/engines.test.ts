/**
 * Every package a production install brings supports the oldest Node that package.json's `engines` promises
 * (npm only warns, EBADENGINE, so nothing else would catch a dependency that moved on, as commander 15 did).
 */
import assert from 'node:assert/strict';
import semver from 'semver';
import { dependencyClosure, readPackage } from './helpers/dependency-closure.js';
import { REPO_ROOT } from './helpers/paths.js';

describe('engines', () => {
  const root = readPackage(REPO_ROOT);
  const range = root.engines?.node;

  it('package.json declares a Node range', () => {
    assert.ok(range && semver.validRange(range), `engines.node is "${range}"`);
  });

  it('every installed production dependency accepts the oldest Node in engines', () => {
    const oldest = semver.minVersion(range!)!.version;
    const missing: string[] = [];
    const closure = dependencyClosure(
      REPO_ROOT,
      { ...root.dependencies, ...root.optionalDependencies },
      { optional: true, onMissing: (name, by) => missing.push(`${name} (required by ${by})`) },
    );
    assert.deepEqual(missing, [], 'every required dependency is installed');
    assert.ok(closure.size > 20, `found ${closure.size} packages`);
    const refusing = [...closure.values()]
      .filter((p) => p.engines?.node !== undefined && !semver.satisfies(oldest, p.engines.node))
      .map((p) => `${p.name}@${p.version} wants node ${p.engines!.node}`);
    assert.deepEqual(refusing, [], `packages that do not accept Node ${oldest}`);
  });
});
