/**
 * `dsn::utils::table_printer` and `multi_table_printer` (src/utils/output_utils.{h,cpp}), byte for
 * byte (docs/pegasus-internals.md §4.2):
 * - every cell is written with `setw(max_width_of_column + 2)`, left- or right-aligned, so
 *   left-aligned rows carry trailing spaces and right-aligned headers get two extra leading spaces;
 * - key/value tables write the value as `": " + value` in a field of `max_value_len + 2`;
 * - a multi-table output follows every table with an empty line;
 * - JSON is rapidjson's PrettyWriter (4-space indent, every value a string); a multi-column table
 *   becomes `{"<row key>": {"<col>": "<val>", ...}}`; a table with no data is left out.
 */

export type Align = 'left' | 'right';

type Entry = [string, JsonValue];
export type JsonValue = string | number | boolean | null | Entry[] | JsonArray;
export interface JsonArray {
  array: JsonValue[];
}

export class TablePrinter {
  private mode: 'none' | 'single' | 'multi' = 'none';
  private readonly widths: number[] = [];
  private readonly alignLeft: boolean[] = [];
  private readonly rows: string[][] = [];

  constructor(
    readonly name = '',
    private readonly tabularWidth = 2,
  ) {}

  addTitle(title: string, align: Align = 'left'): void {
    this.mode = 'multi';
    this.widths.push(title.length);
    this.alignLeft.push(align === 'left');
    this.rows.push([title]);
  }

  addColumn(name: string, align: Align = 'left'): void {
    this.widths.push(name.length);
    this.alignLeft.push(align === 'left');
    this.append(name);
  }

  addRow(rowName: string | number): void {
    this.rows.push([]);
    this.append(String(rowName));
  }

  appendData(v: string | number | boolean): void {
    this.append(typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v));
  }

  addRowNameAndData(name: string, data: string | number | boolean): void {
    this.mode = 'single';
    if (this.widths.length === 0) {
      this.widths.push(name.length, 0);
      this.alignLeft.push(true, true);
    }
    this.rows.push([]);
    this.append(name);
    this.append(typeof data === 'boolean' ? (data ? 'true' : 'false') : String(data));
  }

  private append(s: string): void {
    const row = this.rows[this.rows.length - 1]!;
    row.push(s);
    const i = row.length - 1;
    if (this.widths[i]! < s.length) this.widths[i] = s.length;
  }

  get empty(): boolean {
    return this.rows.length === 0;
  }

  tabular(): string {
    if (this.widths.length === 0) return '';
    const sep = this.mode === 'single' ? ': ' : '';
    let out = this.name ? `[${this.name}]\n` : '';
    for (const row of this.rows) {
      row.forEach((cell, col) => {
        const data = (col === 0 ? '' : sep) + cell;
        const w = this.widths[col]! + this.tabularWidth;
        out += this.alignLeft[col] ? data.padEnd(w) : data.padStart(w);
      });
      out += '\n';
    }
    return out;
  }

  /** The table as JSON entries (the members json_encode writes), or undefined when it is empty. */
  jsonEntries(): Entry[] | undefined {
    if (this.rows.length === 0) return undefined;
    let body: Entry[];
    if (this.mode === 'multi') {
      const header = this.rows[0]!;
      body = this.rows.slice(1).map((row): Entry => [row[0]!, row.map((v, c): Entry => [header[c]!, v])]);
    } else {
      body = this.rows.map((row): Entry => [row[0]!, row[1] ?? '']);
    }
    return this.name ? [[this.name, body]] : body;
  }
}

/** `table_printer::output(kJsonPretty)` of one table. */
export function tableJson(tp: TablePrinter): string {
  return rapidjsonPretty(tp.jsonEntries() ?? []) + '\n';
}

export function multiTabular(tps: TablePrinter[]): string {
  return tps.map((t) => t.tabular() + '\n').join('');
}

export function multiJson(tps: TablePrinter[]): string {
  const all: Entry[] = [];
  for (const t of tps) all.push(...(t.jsonEntries() ?? []));
  return rapidjsonPretty(all) + '\n';
}

/** rapidjson PrettyWriter with its defaults: 4 spaces, `"k": v`, empty containers as `{}` / `[]`. */
export function rapidjsonPretty(v: JsonValue): string {
  return pretty(v, 4, 0);
}

/** nlohmann::json::dump(2): keys sorted, 2 spaces. Callers pass entries already sorted. */
export function nlohmannDump(v: JsonValue): string {
  return pretty(v, 2, 0);
}

function pretty(v: JsonValue, step: number, depth: number): string {
  const pad = (d: number): string => ' '.repeat(step * d);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '{}';
    return '{\n' + v.map(([k, x]) => `${pad(depth + 1)}${JSON.stringify(k)}: ${pretty(x, step, depth + 1)}`).join(',\n') + '\n' + pad(depth) + '}';
  }
  if (v.array.length === 0) return '[]';
  return '[\n' + v.array.map((x) => pad(depth + 1) + pretty(x, step, depth + 1)).join(',\n') + '\n' + pad(depth) + ']';
}

/** Convert a plain JS value to entries with keys sorted (for nlohmann output). */
export function sortedJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return { array: v.map(sortedJson) };
  if (typeof v === 'object') {
    return Object.keys(v as object)
      .sort()
      .map((k): Entry => [k, sortedJson((v as Record<string, unknown>)[k])]);
  }
  return v as string | number | boolean;
}
