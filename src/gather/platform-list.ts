/** The platform gather's list types and helper, now the gathers' one list helper (kube/list.ts); kept for its importers. */
export type {Inventory, Unreadable} from './kube/list.js'
export {listAcross, listMapped} from './kube/list.js'
