// Literal strings for the generated install commands. Every value put into a command goes
// through one of these, so a URL, site name or token can never be read as shell syntax.

/**
 * A POSIX shell single-quoted word: nothing inside single quotes is special, and a single
 * quote itself is written as '\'' (close, escaped quote, reopen). Works in bash, dash, zsh.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A PowerShell verbatim (single-quoted) string: no variable or subexpression expansion; a
 * quote is doubled. PowerShell also ends such strings at the typographic quotes U+2018,
 * U+2019, U+201A and U+201B, so those are doubled too.
 */
export function powershellQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, '$&$&')}'`;
}

/** Control characters (including newlines) have no place in a one-line command. */
export function hasControlCharacters(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value);
}
