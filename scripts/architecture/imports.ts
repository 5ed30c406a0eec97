// The import specifiers of one TypeScript file, found by a small tokenizer rather than a regular
// expression over the text, so an "import ... from 'x'" inside a comment, a string or a template is
// not mistaken for one. (TypeScript 7 ships no JavaScript compiler API to ask instead.)

export interface ImportRef {
  specifier: string;
  /** 1-based line of the import, for the message. */
  line: number;
  /** `import type`, `export type`, or braces holding only `type` names: erased at run time. */
  typeOnly: boolean;
  /** `import('x')`: loaded lazily; still a dependency in the drawing. */
  dynamic: boolean;
}

type Token = { kind: 'word' | 'punct' | 'string'; text: string; line: number };

// After these a `/` starts a regular expression rather than a division.
const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
]);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  // Open template literals' `${` depths: a `}` at depth 0 of the innermost one resumes the template.
  const templates: number[] = [];
  const n = src.length;
  const prevAllowsRegex = (): boolean => {
    const p = out[out.length - 1];
    if (!p) return true;
    if (p.kind === 'string') return false;
    if (p.kind === 'word') return REGEX_AFTER_WORD.has(p.text);
    return !(p.text === ')' || p.text === ']' || p.text === '}');
  };
  const readTemplate = (): void => {
    // i is just after a '`' or after the '}' closing a `${ }`.
    const startLine = line;
    let text = '';
    while (i < n) {
      const c = src[i]!;
      if (c === '\\') {
        text += src.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === '\n') line++;
      if (c === '`') {
        i++;
        out.push({ kind: 'string', text, line: startLine });
        return;
      }
      if (c === '$' && src[i + 1] === '{') {
        i += 2;
        templates.push(0);
        out.push({ kind: 'punct', text: '${', line });
        return;
      }
      text += c;
      i++;
    }
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      const startLine = line;
      let text = '';
      i++;
      while (i < n && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') {
          text += src[i + 1] ?? '';
          i += 2;
        } else text += src[i++];
      }
      i++;
      out.push({ kind: 'string', text, line: startLine });
    } else if (c === '`') {
      i++;
      readTemplate();
    } else if (c === '/' && prevAllowsRegex()) {
      // A regular expression literal: skip to its closing slash (not one inside a [class]).
      i++;
      let inClass = false;
      while (i < n && src[i] !== '\n') {
        const d = src[i]!;
        if (d === '\\') i += 2;
        else {
          if (d === '[') inClass = true;
          else if (d === ']') inClass = false;
          else if (d === '/' && !inClass) break;
          i++;
        }
      }
      i++;
      while (i < n && /[a-z]/i.test(src[i]!)) i++;
      out.push({ kind: 'string', text: '', line });
    } else if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(src[j]!)) j++;
      out.push({ kind: 'word', text: src.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(src[j]!)) j++;
      out.push({ kind: 'word', text: src.slice(i, j), line });
      i = j;
    } else {
      if (templates.length) {
        if (c === '{') templates[templates.length - 1]!++;
        else if (c === '}') {
          if (templates[templates.length - 1] === 0) {
            templates.pop();
            i++;
            readTemplate();
            continue;
          }
          templates[templates.length - 1]!--;
        }
      }
      out.push({ kind: 'punct', text: c, line });
      i++;
    }
  }
  return out;
}

/** Every static import, re-export and dynamic `import('…')` with a literal specifier. */
export function importsOf(src: string): ImportRef[] {
  const t = tokenize(src);
  const out: ImportRef[] = [];
  const at = (k: number): Token | undefined => t[k];
  for (let k = 0; k < t.length; k++) {
    const tok = t[k]!;
    if (tok.kind !== 'word' || (tok.text !== 'import' && tok.text !== 'export')) continue;
    const prev = at(k - 1);
    if (prev && prev.kind === 'punct' && prev.text === '.') continue; // x.import
    const next = at(k + 1);
    if (!next) continue;
    if (tok.text === 'import' && next.text === '(' && at(k + 2)?.kind === 'string' && at(k + 3)?.text === ')') {
      out.push({ specifier: at(k + 2)!.text, line: tok.line, typeOnly: false, dynamic: true });
      continue;
    }
    if (tok.text === 'import' && next.kind === 'string') {
      out.push({ specifier: next.text, line: tok.line, typeOnly: false, dynamic: false });
      continue;
    }
    // `import … from 'x'` / `export … from 'x'`: the clause is words, commas, braces and `*`.
    if (tok.text === 'export' && !(next.text === '{' || next.text === '*' || next.text === 'type')) continue;
    let j = k + 1;
    let typeOnly = false;
    if (at(j)?.text === 'type' && at(j + 1)?.text !== 'from' && at(j + 1)?.text !== ',') {
      typeOnly = true;
      j++;
    }
    let braced: { names: number; types: number } | undefined;
    let ok = false;
    for (; j < t.length; j++) {
      const x = t[j]!;
      if (x.kind === 'word' && x.text === 'from' && at(j + 1)?.kind === 'string') {
        ok = true;
        break;
      }
      if (x.text === '{') {
        braced = { names: 0, types: 0 };
        // Count the names inside; a name preceded by `type` is a type.
        let expectName = true;
        for (j++; j < t.length && t[j]!.text !== '}'; j++) {
          const y = t[j]!;
          if (y.text === ',') expectName = true;
          else if (expectName && y.kind === 'word') {
            braced.names++;
            if (y.text === 'type' && t[j + 1]?.kind === 'word' && t[j + 1]!.text !== 'as') braced.types++;
            expectName = false;
          }
        }
        continue;
      }
      if (x.kind === 'word' || x.text === ',' || x.text === '*') continue;
      break; // `=`, `;`, `(`: not a module import (e.g. `import x = require(…)`, `export const`)
    }
    if (!ok) continue;
    const spec = t[j + 1]!;
    const defaultOrStar = t.slice(k + 1, j).some((x, idx, arr) => {
      // a default import name or `* as x` outside braces makes the import carry a value
      return x.text === '*' || (x.kind === 'word' && x.text !== 'type' && x.text !== 'as' && !insideBraces(arr, idx));
    });
    if (!typeOnly && braced && braced.names > 0 && braced.types === braced.names && !defaultOrStar) typeOnly = true;
    out.push({ specifier: spec.text, line: tok.line, typeOnly, dynamic: false });
    k = j + 1;
  }
  return out;
}

function insideBraces(arr: Token[], idx: number): boolean {
  let depth = 0;
  for (let i = 0; i < idx; i++) {
    if (arr[i]!.text === '{') depth++;
    else if (arr[i]!.text === '}') depth--;
  }
  return depth > 0;
}
