/**
 * Props named in messages in both spellings: the TypeScript one (`buffering.maxItems`) and the
 * Python one jsii generates (`buffering.max_items`), so that a Python user finds the prop too.
 */

/** The Python spelling of a (possibly dotted) TypeScript prop name. */
export function pythonSpelling(prop: string): string {
  return prop.replace(/[a-z0-9][A-Z]/g, (pair) => `${pair[0]}_${pair[1].toLowerCase()}`);
}

/** ` (\`max_items\` in Python)` after a message naming `prop`, or nothing when both spellings agree. */
export function inPython(prop: string): string {
  const python = pythonSpelling(prop);
  return python === prop ? '' : ` (\`${python}\` in Python)`;
}
