package io.herald.client.impl;

import io.herald.client.HeraldException;
import io.herald.protocol.v1.ErrorCode;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes frames to one WebSocket one at a time, as the JDK requires, from a bounded queue:
 * a frame more than the bound fails its call at once instead of waiting.
 */
final class FrameSender {

  private record Outgoing(Object data, CompletableFuture<Void> written) {}

  private static final Object CLOSE = new Object();

  private final WebSocket socket;
  private final int maxPending;
  private final ConcurrentLinkedQueue<Outgoing> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean writing = new AtomicBoolean();

  FrameSender(WebSocket socket, int maxPending) {
    this.socket = socket;
    this.maxPending = maxPending;
  }

  CompletableFuture<Void> sendBinary(byte[] frame) {
    return enqueue(ByteBuffer.wrap(frame));
  }

  CompletableFuture<Void> sendText(String frame) {
    return enqueue(frame);
  }

  /** Sends a normal close after the frames already queued. */
  CompletableFuture<Void> sendClose() {
    return enqueue(CLOSE);
  }

  private CompletableFuture<Void> enqueue(Object data) {
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      return CompletableFuture.failedFuture(new HeraldException(ErrorCode.ERROR_CODE_UNSPECIFIED,
          maxPending + " frames already wait to be written"));
    }
    Outgoing outgoing = new Outgoing(data, new CompletableFuture<>());
    queue.add(outgoing);
    drain();
    return outgoing.written();
  }

  private void drain() {
    while (writing.compareAndSet(false, true)) {
      Outgoing next = queue.poll();
      if (next == null) {
        writing.set(false);
        if (queue.isEmpty()) {
          return;
        }
        continue;
      }
      pending.decrementAndGet();
      CompletableFuture<WebSocket> write = write(next.data());
      if (write.isDone()) {
        settle(next, write);
        writing.set(false);
        continue;
      }
      write.whenComplete((ignored, failure) -> {
        settle(next, write);
        writing.set(false);
        drain();
      });
      return;
    }
  }

  private CompletableFuture<WebSocket> write(Object data) {
    try {
      return writeNow(data);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e); // the socket is already closed
    }
  }

  private CompletableFuture<WebSocket> writeNow(Object data) {
    if (data == CLOSE) {
      return socket.sendClose(WebSocket.NORMAL_CLOSURE, "client closing");
    }
    if (data instanceof ByteBuffer binary) {
      return socket.sendBinary(binary, true);
    }
    return socket.sendText((String) data, true);
  }

  private static void settle(Outgoing outgoing, CompletableFuture<WebSocket> write) {
    write.whenComplete((ignored, failure) -> {
      if (failure != null) {
        outgoing.written().completeExceptionally(failure);
      } else {
        outgoing.written().complete(null);
      }
    });
  }
}
