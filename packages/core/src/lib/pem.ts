// Checks shared by every option that holds PEM text (signingKey, jwksTls).

/**
 * True when a PEM text has its line breaks written as the two characters `\` `n` (or `\r\n`):
 * the usual result of putting a multi-line key into an environment variable or a JSON string
 * by hand. Such a PEM never parses.
 *
 * @param text - the option value
 */
export function hasEscapedNewlines(text: string): boolean {
  return text.includes('-----BEGIN') && text.includes('\\n')
}

/** The ConfigError message for {@link hasEscapedNewlines}. */
export const ESCAPED_NEWLINES_MESSAGE =
  'contains literal \\n sequences: its line breaks were escaped (a PEM pasted into an environment variable or a JSON string?); replace each "\\n" with a real line break'
