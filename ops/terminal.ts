/** What the CLI's output may use of the terminal it writes to. */

const CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] } as const;
export type Style = keyof typeof CODES;
export type Paint = (style: Style, text: string) => string;

/**
 * Colour only on a terminal, and never when `NO_COLOR` is set to anything but an empty string (no-color.org) or the
 * terminal says it cannot (`TERM=dumb`).
 */
export function colourAllowed(isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTty && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  return (style, text) => `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m`;
}

/**
 * Rows as aligned columns, two spaces apart; `style` may colour a cell, after its width is measured on the plain
 * text so that escape codes do not shift the columns.
 */
export function table(
  rows: readonly string[][],
  style: (cell: string, column: number, row: number) => string = (cell) => cell,
): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row, rowIndex) =>
    row
      .map((cell, column) => {
        const padding = column < row.length - 1 ? ' '.repeat((widths[column] ?? 0) - cell.length) : '';
        return `${style(cell, column, rowIndex)}${padding}`;
      })
      .join('  ')
      .trimEnd(),
  );
}
