/** The event loop's next turn: timers and sockets (a recruiter's redirect) go first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
