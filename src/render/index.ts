import {stringify} from 'yaml'
import type {Report} from '../engine/report.js'
import type {Paint} from './color.js'
import {renderTable} from './table.js'

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** Report in, string out. `views` are a table-only presentation and are left out of machine output. */
export function render(report: Report, format: OutputFormat, options: {paint: Paint; width?: number}): string {
  const {views: _views, ...machine} = report
  switch (format) {
    case 'json':
      return `${JSON.stringify(machine, null, 2)}\n`
    case 'yaml':
      return stringify(machine, {lineWidth: 0})
    case 'wide':
      return renderTable(report, {...options, showAll: true})
    case 'table':
      return renderTable(report, options)
  }
}
