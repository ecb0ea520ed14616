/**
 * The one "is this pid alive": signal 0 asks the kernel without sending
 * anything. EPERM means the process exists but belongs to someone else, so it
 * is alive; any other failure (ESRCH) means no such process.
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
