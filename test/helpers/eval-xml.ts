/**
 * A small strict XML well-formedness parser for tests (SVG output): elements, attributes,
 * text, comments, CDATA and the prolog. Throws on unbalanced or malformed markup.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    if (!(e in ENTITIES)) throw new Error(`unknown entity ${m}`);
    return ENTITIES[e];
  });
}

export function parseXml(text: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => { throw new Error(`XML: ${msg} at offset ${i}`); };
  while (i < text.length) {
    if (text.startsWith('<?', i)) { const e = text.indexOf('?>', i); if (e < 0) fail('unterminated <?'); i = e + 2; continue; }
    if (text.startsWith('<!--', i)) { const e = text.indexOf('-->', i); if (e < 0) fail('unterminated comment'); i = e + 3; continue; }
    if (text.startsWith('<![CDATA[', i)) {
      const e = text.indexOf(']]>', i); if (e < 0) fail('unterminated CDATA');
      stack.at(-1)?.children.push(text.slice(i + 9, e)); i = e + 3; continue;
    }
    if (text.startsWith('<!', i)) { const e = text.indexOf('>', i); if (e < 0) fail('unterminated <!'); i = e + 1; continue; }
    if (text.startsWith('</', i)) {
      const e = text.indexOf('>', i); if (e < 0) fail('unterminated end tag');
      const name = text.slice(i + 2, e).trim();
      const top = stack.pop();
      if (!top || top.name !== name) fail(`</${name}> does not close <${top?.name}>`);
      i = e + 1; continue;
    }
    if (text[i] === '<') {
      const m = /^<([A-Za-z_][\w:.-]*)/.exec(text.slice(i, i + 200));
      if (!m) fail('bad tag name');
      const el: XmlElement = { name: m![1], attrs: {}, children: [] };
      i += m![0].length;
      const attrRe = /\s+([A-Za-z_][\w:.-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/y;
      for (;;) {
        attrRe.lastIndex = i;
        const a = attrRe.exec(text);
        if (!a) break;
        if (a[1] in el.attrs) fail(`duplicate attribute ${a[1]}`);
        el.attrs[a[1]] = decode(a[3] ?? a[4]);
        i = attrRe.lastIndex;
      }
      while (/\s/.test(text[i])) i++;
      const selfClose = text.startsWith('/>', i);
      if (!selfClose && text[i] !== '>') fail(`malformed tag <${el.name}>`);
      i += selfClose ? 2 : 1;
      if (stack.length) stack.at(-1)!.children.push(el);
      else if (root) fail('second root element');
      else root = el;
      if (!selfClose) stack.push(el);
      continue;
    }
    const e = text.indexOf('<', i);
    const chunk = text.slice(i, e < 0 ? text.length : e);
    if (stack.length) stack.at(-1)!.children.push(decode(chunk));
    else if (chunk.trim()) fail('text outside the root element');
    i = e < 0 ? text.length : e;
  }
  if (stack.length) fail(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) fail('no root element');
  return root!;
}

/** The text content of every <text> element (SVG labels, titles, legend entries). */
export function svgTexts(el: XmlElement): string[] {
  const out: string[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === 'text') out.push(e.children.map((c) => (typeof c === 'string' ? c : '')).join('').trim());
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(el);
  return out;
}
