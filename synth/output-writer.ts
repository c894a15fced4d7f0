/**
 * Writes a run's files below its (temporary) output folder: JPEG through sharp, everything else as bytes.
 * Creates folders once each.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export class OutputWriter {
  private readonly made = new Map<string, Promise<unknown>>();

  constructor(
    readonly root: string,
    private readonly jpegQuality: number,
  ) {}

  private async folder(path: string): Promise<void> {
    const dir = dirname(path);
    let made = this.made.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      this.made.set(dir, made);
    }
    await made;
  }

  /** Packed RGB, size x size, to a baseline JPEG at the run's quality (no metadata, 4:2:0 as ImageNet's). */
  async jpeg(relative: string, rgb: Buffer, size: number): Promise<void> {
    const path = join(this.root, relative);
    await this.folder(path);
    await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
      .jpeg({ quality: this.jpegQuality })
      .toFile(path);
  }

  async bytes(relative: string, data: string | Uint8Array): Promise<void> {
    const path = join(this.root, relative);
    await this.folder(path);
    await writeFile(path, data);
  }
}
