package io.herald.client.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IoThreadsTest {

  @Test
  void aTaskBeyondTheQueuesBoundRunsOnTheThreadThatScheduledIt() throws InterruptedException {
    ThreadPoolExecutor pool = IoThreads.pool(1, 1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch allRan = new CountDownLatch(3);
    List<String> ranOn = new CopyOnWriteArrayList<>();
    Runnable task = () -> {
      ranOn.add(Thread.currentThread().getName());
      allRan.countDown();
    };
    try {
      pool.execute(() -> {
        await(release);
        task.run();
      });
      pool.execute(task); // waits in the queue, which is now full
      pool.execute(task); // neither refused nor lost: run here, at once

      assertEquals(List.of(Thread.currentThread().getName()), ranOn);
      release.countDown();
      assertTrue(allRan.await(5, TimeUnit.SECONDS));
      assertTrue(ranOn.subList(1, 3).stream().allMatch(name -> name.startsWith("herald-sdk-io-")), ranOn.toString());
    } finally {
      release.countDown();
      pool.shutdown();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
