package io.herald.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import kamon.Kamon;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import scala.jdk.javaapi.FutureConverters;
import org.apache.pekko.actor.typed.ActorSystem;
import sun.misc.Signal;

/**
 * Starts a Herald node and its metrics. Configuration, lowest precedence first: every
 * library's {@code reference.conf} (Herald's documents every {@code herald} key), Herald's
 * Pekko and Kamon settings ({@code herald/pekko.conf}, {@code herald/kamon.conf}), the profile named by {@code HERALD_PROFILE}
 * (default {@code single}), {@code application.conf} if present, then {@code -D} system
 * properties.
 */
public final class Main {

  /** Why the node is stopping, when a signal asked it to. */
  private enum StopReason implements CoordinatedShutdown.Reason {
    STOP_SIGNAL
  }

  private Main() {}

  public static void main(String[] args) {
    useACommonPoolForAsyncCallbacks();
    Config config = loadConfig(System.getenv().getOrDefault("HERALD_PROFILE", "single"));
    NodeSettings settings = NodeSettings.from(config);
    Kamon.init(config);
    ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings), "herald", config);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "herald-stop-metrics",
        () -> FutureConverters.asJava(Kamon.stop()).thenApply(stopped -> Done.getInstance()));
    // SIGTERM and SIGINT drain the node and exit 0 once coordinated shutdown is done.
    Signal.handle(new Signal("TERM"), signal -> CoordinatedShutdown.get(system).runAll(StopReason.STOP_SIGNAL));
    Signal.handle(new Signal("INT"), signal -> CoordinatedShutdown.get(system).runAll(StopReason.STOP_SIGNAL));
  }

  /**
   * With fewer than two common-pool threads (a 2-core machine), CompletableFuture runs
   * every async callback on a new thread of its own, and Scala's future converters, which
   * every ask result goes through, turn even plain callbacks into async ones: one thread
   * started and stopped per ask. Two pool threads make CompletableFuture use the pool. Must
   * run before anything touches CompletableFuture or ForkJoinPool.
   */
  private static void useACommonPoolForAsyncCallbacks() {
    String parallelism = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(parallelism) == null) {
      System.setProperty(parallelism, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
  }

  static Config loadConfig(String profile) {
    String resource = "herald/profiles/" + profile + ".conf";
    if (Main.class.getClassLoader().getResource(resource) == null) {
      throw new IllegalArgumentException("unknown HERALD_PROFILE '" + profile + "': no " + resource);
    }
    Config profileConfig = ConfigFactory.parseResources(resource);
    // Herald's Pekko and Kamon settings sit above every reference.conf: a shaded jar merges those in no
    // reliable order.
    Config librarySettings = ConfigFactory.parseResources("herald/pekko.conf")
        .withFallback(ConfigFactory.parseResources("herald/kamon.conf"));
    return ConfigFactory.load(ConfigFactory.defaultApplication()
        .withFallback(profileConfig)
        .withFallback(librarySettings));
  }
}
