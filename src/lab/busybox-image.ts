// A container image with no registry: a rootfs tar holding Debian's statically linked busybox, its
// applets as symlinks, and the few files a container runtime expects. Built once per machine (per
// busybox binary) and cached in the temp folder; podman and docker `import` it.
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary, run } from './exec.js';

export const BUSYBOX = '/bin/busybox';

/** ELF program header type of the dynamic loader path (System V ABI, "Program Header"). */
const PT_INTERP = 3;

/** True for a 64-bit ELF executable without an interpreter, i.e. one that runs in an empty rootfs. */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false; // "\x7fELF", ELFCLASS64
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === PT_INTERP) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Path of the cached rootfs tar, building it first if needed. */
export async function busyboxRootfsTar(): Promise<string> {
  requireBinary('tar');
  if (!existsSync(BUSYBOX) || !isStaticElf(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing or not static: run "apt-get install -y busybox-static"`);
  }
  const st = statSync(BUSYBOX);
  const tar = join(tmpdir(), `tsroute-busybox-rootfs-${st.size}-${Math.floor(st.mtimeMs)}.tar`);
  if (existsSync(tar)) return tar;
  const root = mkdtempSync(join(tmpdir(), 'tsroute-busybox-build-'));
  try {
    for (const dir of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var']) mkdirSync(join(root, dir));
    await run(['cp', BUSYBOX, join(root, 'bin/busybox')]);
    const { stdout } = await run([BUSYBOX, '--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
      symlinkSync('busybox', join(root, 'bin', applet));
    }
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    // Written next to the cache and renamed: concurrent test processes never read half a tar.
    const partial = `${tar}.${process.pid}.partial`;
    await run(['tar', '-C', root, '-cf', partial, '.']);
    renameSync(partial, tar);
    return tar;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
