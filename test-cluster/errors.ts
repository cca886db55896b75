// Status errors with the same reasons, codes and message texts as k8s.io/apimachinery's
// api/errors package, so kubectl prints exactly what it prints against a real cluster.
import type {Status, StatusDetails} from './types.js'

/** A group + resource, printed like schema.GroupResource.String(): `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string
  resource: string
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

export function reasonForCode(code: number): string {
  return REASON_BY_CODE[code] ?? (code >= 500 ? 'InternalError' : 'Unknown')
}

export class ApiError extends Error {
  readonly status: Status
  constructor(code: number, reason: string, message: string, details?: StatusDetails, continueToken?: string) {
    super(message)
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: continueToken ? {continue: continueToken} : {},
      status: 'Failure',
      message,
      reason,
      ...(details ? {details} : {}),
      code,
    }
  }
  get code(): number {
    return this.status.code ?? 500
  }
}

function details(gr: GroupResource, name?: string): StatusDetails {
  return {...(name ? {name} : {}), ...(gr.group ? {group: gr.group} : {}), kind: gr.resource}
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, details(gr, name))
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, details(gr, name))
}

/** errors.NewForbidden: `pods "x" is forbidden: <why>` (or `pods is forbidden: ...` without a name). */
export function forbidden(gr: GroupResource, name: string | undefined, why: string, causeReason?: string): ApiError {
  const subject = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr)
  const d = details(gr, name)
  if (causeReason) d.causes = [{reason: causeReason, message: why}]
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, d)
}

export function conflict(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(gr, name),
  )
}

export interface FieldError {
  field: string
  type: 'Required value' | 'Invalid value' | 'Unsupported value' | 'Forbidden'
  detail: string
  value?: unknown
}

const CAUSE_REASON: Record<FieldError['type'], string> = {
  'Required value': 'FieldValueRequired',
  'Invalid value': 'FieldValueInvalid',
  'Unsupported value': 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
}

function fieldErrorText(e: FieldError): string {
  const value = e.type === 'Invalid value' || e.type === 'Unsupported value' ? ` ${JSON.stringify(e.value)}` : ''
  return `${e.field}: ${e.type}:${value} ${e.detail}`
}

/** errors.NewInvalid: `Pod "x" is invalid: spec.containers: Required value`. */
export function invalid(kind: string, group: string, name: string, errs: FieldError[]): ApiError {
  const texts = errs.map(fieldErrorText)
  const joined = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`
  const qualifiedKind = group ? `${kind}.${group}` : kind
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, {
    name,
    ...(group ? {group} : {}),
    kind,
    causes: errs.map((e) => ({reason: CAUSE_REASON[e.type], message: fieldErrorText(e).slice(e.field.length + 2), field: e.field})),
  })
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message)
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
}

export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {})
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized')
}

export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
export const CONTINUE_INCONSISTENT =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'

export function expired(message: string, continueToken?: string): ApiError {
  return new ApiError(410, 'Expired', message, undefined, continueToken)
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{message}],
  })
}

/** An arbitrary status (fault injection): the message is used verbatim. */
export function withCode(code: number, message: string): ApiError {
  return new ApiError(code, reasonForCode(code), message, code >= 500 ? {causes: [{message}]} : undefined)
}

export function successStatus(gr: GroupResource, name: string, uid: string | undefined): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {name, ...(gr.group ? {group: gr.group} : {}), kind: gr.resource, ...(uid ? {uid} : {})},
  }
}
