import {stringify} from 'yaml'
import type {FailOn} from '../model/exit-codes.js'
import type {Report} from '../model/report.js'
import type {Paint} from './color.js'
import {renderJunit} from './junit.js'
import {renderMarkdown} from './markdown.js'
import {renderSarif} from './sarif.js'
import {renderShort, renderTable} from './table.js'

export const OUTPUT_FORMATS = ['table', 'wide', 'short', 'json', 'yaml', 'junit', 'sarif', 'markdown'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export interface RenderOptions {
  paint: Paint
  width?: number
  /** table, wide, short: ASCII words instead of the status glyphs (no UTF-8 locale, NO_COLOR). */
  ascii?: boolean
  /** junit: which results are failures/errors (they follow the exit code); default warn. */
  failOn?: FailOn
  /** sarif: the plugin's version for tool.driver.version. */
  toolVersion?: string
}

/**
 * YAML that YAML 1.1 readers (PyYAML, Ruby's Psych, go-yaml v2) read back as the same strings: `y`, `n`, `yes`,
 * `off`, dates and timestamps, `1_000`, `12:30` are quoted (`compat`), as well as what YAML 1.2 would misread.
 * An object the report holds twice (node groups sharing one judgement) is written out twice, never as an alias.
 */
export const stringifyYaml = (value: unknown): string => stringify(value, {lineWidth: 0, compat: 'yaml-1.1', aliasDuplicateObjects: false})

/** Report in, string out. `views` are a table-only presentation and are left out of machine output. */
export function render(report: Report, format: OutputFormat, options: RenderOptions): string {
  const {views: _views, ...machine} = report
  switch (format) {
    case 'json':
      return `${JSON.stringify(machine, null, 2)}\n`
    case 'yaml':
      return stringifyYaml(machine)
    case 'junit':
      return renderJunit(report, {failOn: options.failOn})
    case 'sarif':
      return renderSarif(report, {toolVersion: options.toolVersion})
    case 'markdown':
      return renderMarkdown(report)
    case 'wide':
      return renderTable(report, {...options, showAll: true})
    case 'short':
      return renderShort(report, options)
    case 'table':
      return renderTable(report, options)
  }
}
