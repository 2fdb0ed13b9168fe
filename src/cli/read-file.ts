import { Buffer } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { formatBytes } from "../index.js";

/**
 * Reads a text file named on the command line (a workflow, an inputs file, the configuration),
 * refusing what would hang or fill memory: anything but a regular file — reading a FIFO blocks
 * until a writer comes, a character device such as /dev/zero never ends — and a file larger than
 * `maxBytes`. Throws an Error saying why (callers add the file's name).
 */
export function readTextFile(path: string, maxBytes: number): string {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${kindOf(stat)}, not a regular file`);
    const tooBig = () => new Error(`the file is larger than ${formatBytes(maxBytes)}`);
    if (stat.size > maxBytes) throw tooBig();
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooBig();
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "a special file";
}
