package io.herald.node.metrics;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Reports the heap in use right after each garbage collection ({@code herald_heap_after_gc_bytes}):
 * the nearest the JVM tells of what is live, and an upper bound of it, since a young
 * collection leaves the old generation's garbage for the next marking. A node whose heap
 * stays above G1's marking threshold after its collections marks without a break and slows
 * down (README, sizing the JVM); the JVM's own memory metrics sample the heap at any moment,
 * garbage included, and cannot tell.
 */
public final class HeapAfterGc {

  private HeapAfterGc() {}

  /** Listens to every collector of this JVM for as long as it runs. */
  public static void report(NodeMetrics metrics) {
    Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP)
        .map(MemoryPoolMXBean::getName)
        .collect(Collectors.toSet());
    NotificationListener afterEachCollection = (notification, handback) -> {
      if (notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
        var collection = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        long used = collection.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
            .filter(pool -> heapPools.contains(pool.getKey()))
            .mapToLong(pool -> pool.getValue().getUsed())
            .sum();
        metrics.heapAfterGc(used);
      }
    };
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (collector instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(afterEachCollection, null, null);
      }
    }
  }
}
