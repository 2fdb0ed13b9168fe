/**
 * An estimate of the RE2 program size of a pattern, from its text alone: literals and classes
 * one instruction, groups their contents plus two, repeats their operand (plus one) times the
 * count. It errs high (up to about twice the real size), so that a pattern far too large is
 * refused before compiling it costs anything.
 */
/** One level of parentheses: its size so far, and the size of its last atom (what a repeat repeats). */
interface Frame {
  total: number;
  last: number;
}

export function estimateSize(source: string): number {
  const frames: Frame[] = [{ total: 0, last: 0 }];
  const top = () => frames[frames.length - 1] as Frame;
  const atom = (size: number) => {
    const f = top();
    f.total += size;
    f.last = size;
  };
  const repeat = (times: number) => {
    const f = top();
    const grown = Math.min((f.last + 1) * times, 1e9);
    f.total += grown - f.last;
    f.last = grown;
  };
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") {
      const next = source[i + 1];
      i++;
      if ((next === "p" || next === "P" || next === "x") && source[i + 1] === "{")
        i = close(source, i + 1, "}");
      else if (next === "p" || next === "P") i++;
      atom(1);
    } else if (ch === "[") {
      i = classEnd(source, i);
      atom(1);
    } else if (ch === "(") {
      frames.push({ total: 0, last: 0 });
    } else if (ch === ")" && frames.length > 1) {
      const inner = (frames.pop() as Frame).total;
      atom(inner + 2);
    } else if (ch === "|") {
      top().total += 1;
      top().last = 0;
    } else if (ch === "*" || ch === "+" || ch === "?") {
      repeat(1);
    } else if (ch === "{") {
      const m = /^\{(\d{1,9})(?:(,)(\d{0,9}))?\}/.exec(source.slice(i, i + 22));
      if (m) {
        const min = Number(m[1]);
        const max = m[2] ? (m[3] ? Number(m[3]) : min + 1) : min;
        repeat(Math.max(min, max, 1));
        i += m[0].length - 1;
      } else atom(1);
    } else atom(1);
  }
  while (frames.length > 1) atom((frames.pop() as Frame).total + 2);
  return top().total + 2;
}

function close(source: string, from: number, ch: string): number {
  const end = source.indexOf(ch, from);
  return end < 0 ? source.length : end;
}

function classEnd(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === "^") i++;
  if (source[i] === "]") i++;
  for (; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "[" && source[i + 1] === ":") i = close(source, i + 2, "]");
    else if (source[i] === "]") return i;
  }
  return source.length;
}
