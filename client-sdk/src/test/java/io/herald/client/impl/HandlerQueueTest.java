package io.herald.client.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HandlerQueueTest {

  @Test
  void handlersRunInOrderInTurnsSoThatClientsSharingOneThreadAlternate() throws Exception {
    ExecutorService oneThread = Executors.newSingleThreadExecutor();
    try {
      // Hold the thread until both clients have queued everything, so that each has a backlog.
      CountDownLatch queued = new CountDownLatch(1);
      oneThread.execute(() -> awaitQuietly(queued));
      HandlerQueue first = new HandlerQueue(1024, oneThread);
      HandlerQueue second = new HandlerQueue(1024, oneThread);
      ConcurrentLinkedQueue<String> ran = new ConcurrentLinkedQueue<>();
      int handlers = HandlerQueue.HANDLERS_PER_TURN * 3;
      CountDownLatch allRan = new CountDownLatch(2 * handlers);
      for (int i = 0; i < handlers; i++) {
        int index = i;
        first.add(() -> {
          ran.add("first " + index);
          allRan.countDown();
        });
        second.add(() -> {
          ran.add("second " + index);
          allRan.countDown();
        });
      }
      queued.countDown();
      assertTrue(allRan.await(10, TimeUnit.SECONDS));

      List<String> expected = new ArrayList<>();
      for (int turn = 0; turn < 3; turn++) {
        for (String client : List.of("first", "second")) {
          IntStream.range(turn * HandlerQueue.HANDLERS_PER_TURN, (turn + 1) * HandlerQueue.HANDLERS_PER_TURN)
              .forEach(i -> expected.add(client + " " + i));
        }
      }
      assertEquals(expected, List.copyOf(ran), "each client's handlers in order, the clients taking turns");
    } finally {
      oneThread.shutdownNow();
    }
  }

  @Test
  void anExecutorThatRefusesStillLeavesEveryHandlerRun() throws Exception {
    ExecutorService shutDown = Executors.newSingleThreadExecutor();
    shutDown.shutdown();
    HandlerQueue queue = new HandlerQueue(1024, shutDown);
    CountDownLatch ran = new CountDownLatch(100);
    for (int i = 0; i < 100; i++) {
      queue.add(ran::countDown);
    }
    assertTrue(ran.await(5, TimeUnit.SECONDS), "handlers run on the SDK's own threads");
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
