/** Labels on everything the plugin creates, so `kubectl mesh-ready cleanup` can find leftovers of any run. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY_VALUE = 'kubectl-mesh-ready'
export const RUN_ID_LABEL = 'mesh-ready.io/run'
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`
