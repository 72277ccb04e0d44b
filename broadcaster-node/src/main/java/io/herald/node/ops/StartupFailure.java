package io.herald.node.ops;

/**
 * A node that cannot open one of its ports stops with exit code 1 rather than run half
 * served: a supervisor or an operator then sees the failure and the log line before it.
 */
public final class StartupFailure {

  private StartupFailure() {}

  /** Exits the JVM; the caller has logged why. */
  public static void stopNode() {
    // Not on the calling thread, which belongs to the actor system: System.exit runs the
    // shutdown hooks, and the one that stops the actor system would wait for that thread.
    new Thread(() -> System.exit(1), "herald-startup-failure").start();
  }
}
