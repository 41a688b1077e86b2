/** The semaphore rows' limit: mode 'quorum' on 5 nodes keeps all of it (per node 2, 3 votes). */
export const SEMAPHORE_LIMIT = 3;
