package io.herald.it.support;

import com.google.protobuf.InvalidProtocolBufferException;
import io.herald.protocol.Json;
import io.herald.protocol.v1.ServerFrame;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client that speaks the protocol by hand, without the SDK: sends raw text or
 * bytes and records every frame the node sends. It reads only as many frames as
 * {@link #read(long)} allows, so it can stop reading like a stuck device.
 */
public final class RawSocket implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final WebSocket socket;
  private final Listener listener;

  private RawSocket(WebSocket socket, Listener listener) {
    this.socket = socket;
    this.listener = listener;
  }

  /** Connects offering these subprotocols (none: the node picks JSON) and reads without limit. */
  public static RawSocket connect(URI uri, String... subprotocols) {
    return connect(uri, Long.MAX_VALUE, subprotocols);
  }

  /** Connects, reading at most {@code framesToRead} frames until {@link #read(long)} allows more. */
  public static RawSocket connect(URI uri, long framesToRead, String... subprotocols) {
    Listener listener = new Listener(framesToRead);
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    if (subprotocols.length > 0) {
      builder.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
    }
    WebSocket socket = builder.buildAsync(uri, listener).join();
    return new RawSocket(socket, listener);
  }

  public void sendText(String frame) {
    socket.sendText(frame, true).join();
  }

  /** Sends one text message in several WebSocket fragments. */
  public void sendTextInFragments(String... fragments) {
    for (int i = 0; i < fragments.length; i++) {
      socket.sendText(fragments[i], i == fragments.length - 1).join();
    }
  }

  public void sendBinary(byte[] frame) {
    socket.sendBinary(ByteBuffer.wrap(frame), true).join();
  }

  /** Allows reading {@code frames} more frames. */
  public void read(long frames) {
    socket.request(frames);
  }

  /** The next frame the node sent, waiting up to {@code timeout}. */
  public ServerFrame next(Duration timeout) {
    try {
      ServerFrame frame = listener.frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (frame == null) {
        throw new AssertionError("no frame within " + timeout);
      }
      return frame;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Skips frames until one matches, and returns it. */
  public ServerFrame nextMatching(Duration timeout, Predicate<ServerFrame> wanted) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ServerFrame> skipped = new ArrayList<>();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no matching frame within " + timeout + "; skipped " + skipped);
      }
      ServerFrame frame;
      try {
        frame = listener.frames.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (frame != null && wanted.test(frame)) {
        return frame;
      }
      if (frame != null) {
        skipped.add(frame);
      }
    }
  }

  /** Whether the node has closed the connection. */
  public boolean isClosed() {
    return listener.closeCode != null || socket.isInputClosed();
  }

  /** The close status the node sent, once closed. */
  public Optional<Integer> closeCode() {
    return Optional.ofNullable(listener.closeCode);
  }

  @Override
  public void close() {
    socket.abort();
  }

  private static final class Listener implements WebSocket.Listener {
    final LinkedBlockingQueue<ServerFrame> frames = new LinkedBlockingQueue<>();
    final long initialDemand;
    final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    final StringBuilder text = new StringBuilder();
    volatile Integer closeCode;

    Listener(long initialDemand) {
      this.initialDemand = initialDemand;
    }

    @Override
    public void onOpen(WebSocket socket) {
      socket.request(initialDemand);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      binary.writeBytes(chunk);
      if (last) {
        try {
          frames.add(ServerFrame.parseFrom(binary.toByteArray()));
        } catch (InvalidProtocolBufferException e) {
          throw new AssertionError("node sent a frame that is not a ServerFrame", e);
        }
        binary.reset();
      }
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          frames.add(Json.parse(text.toString(), ServerFrame.newBuilder()).build());
        } catch (InvalidProtocolBufferException e) {
          throw new AssertionError("node sent text that is not a ServerFrame: " + text, e);
        }
        text.setLength(0);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
      closeCode = statusCode;
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      closeCode = -1;
    }
  }
}
