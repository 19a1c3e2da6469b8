/**
 * Model or server text about to be written to a terminal: C0 and C1 control characters other than tab and newline
 * (ESC, CSI, OSC, BEL, backspace, carriage return …) are shown as U+FFFD, so a hostile model cannot move the cursor,
 * rewrite earlier lines, set the window title or emit OSC 8/52 sequences (hyperlinks, clipboard writes) in the user's
 * terminal (ECMA-48 control functions all start with such a character). Text written to a pipe or file is left exact.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\uFFFD');
}
