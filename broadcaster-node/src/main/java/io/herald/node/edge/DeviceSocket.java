package io.herald.node.edge;

import io.herald.node.connection.ClientRequest;
import io.herald.node.connection.ConnectionActor;
import io.herald.node.connection.FrameDecoder;
import io.herald.node.connection.OutboundBuffer;
import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's WebSocket on the Netty edge, between the socket and the transport seam:
 * decodes inbound frames into its {@link ConnectionActor} and writes its
 * {@link OutboundBuffer} while the socket is writable.
 *
 * <p>Backpressure both ways without buffers of its own. Inbound: once
 * {@link #INBOUND_WINDOW} frames wait for the actor, the socket stops reading until the
 * actor catches up. Outbound: frames leave the buffer only while Netty's write buffer is
 * under its high-water mark, so a slow reader fills the buffer, whose slow-consumer
 * policy then applies.
 */
final class DeviceSocket extends ChannelInboundHandlerAdapter implements ConnectionActor.InboundGate {

  private static final Logger log = LoggerFactory.getLogger(DeviceSocket.class);

  /** Frames passed to the connection actor and not yet handled before reading pauses. */
  static final int INBOUND_WINDOW = 16;

  private static final AtomicIntegerFieldUpdater<DeviceSocket> UNHANDLED =
      AtomicIntegerFieldUpdater.newUpdater(DeviceSocket.class, "unhandled");

  private final OutboundBuffer outbound;
  private final ActorRef<ConnectionActor.Command> connection;
  private final int maxFrameBytes;
  private final Duration closeTimeout;
  private final NodeMetrics metrics;

  private volatile int unhandled;
  private ChannelHandlerContext ctx;
  /** The parts of a fragmented message read so far; null between messages. */
  private FragmentedMessage fragments;
  private boolean closeDeadlineSet;
  private boolean finished;
  /** The connection actor has been told the socket ended; it stops on that. */
  private boolean endTold;

  DeviceSocket(DeviceAdmission.OpenedConnection opened, int maxFrameBytes, Duration closeTimeout, NodeMetrics metrics) {
    this.outbound = opened.outbound();
    this.connection = opened.connection();
    this.maxFrameBytes = maxFrameBytes;
    this.closeTimeout = closeTimeout;
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    // Frames offered from any thread are written on this socket's event loop; one task
    // object serves every wake-up.
    Runnable write = this::writeOutbound;
    outbound.onWakeup(() -> ctx.executor().execute(write));
    writeOutbound();
    if (!ctx.channel().isActive()) {
      tellEnd(ConnectionActor.InboundCompleted.INSTANCE);
    }
  }

  // ---- inbound ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object message) {
    try {
      if (message instanceof WebSocketFrame frame) {
        read(frame);
      }
    } finally {
      ReferenceCountUtil.release(message);
    }
  }

  private void read(WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
      boolean text = frame instanceof TextWebSocketFrame;
      if (frame.isFinalFragment()) {
        deliver(decode(frame.content(), text));
      } else {
        fragments = new FragmentedMessage(text, maxFrameBytes);
        fragments.add(frame.content());
      }
    } else if (frame instanceof ContinuationWebSocketFrame && fragments != null) {
      fragments.add(frame.content());
      if (frame.isFinalFragment()) {
        ClientRequest request = fragments.tooLarge()
            ? FrameDecoder.tooLarge(fragments.bytes(), maxFrameBytes)
            : decode(fragments.content(), fragments.text());
        fragments.release();
        fragments = null;
        deliver(request);
      }
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame) {
      // The device is leaving: answer its close and end the socket.
      ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
          .addListener(ChannelFutureListener.CLOSE);
    }
    // A pong needs no answer.
  }

  private ClientRequest decode(ByteBuf content, boolean text) {
    int size = content.readableBytes();
    if (size > maxFrameBytes) {
      return FrameDecoder.tooLarge(size, maxFrameBytes);
    }
    return text
        ? FrameDecoder.decodeJson(content.toString(StandardCharsets.UTF_8))
        : FrameDecoder.decodeBinary(content.nioBuffer());
  }

  private void deliver(ClientRequest request) {
    connection.tell(new ConnectionActor.Inbound(this, request));
    if (UNHANDLED.incrementAndGet(this) >= INBOUND_WINDOW) {
      ctx.channel().config().setAutoRead(false);
      // The actor may have caught up meanwhile; its frameHandled then saw reading still on.
      if (unhandled < INBOUND_WINDOW) {
        ctx.channel().config().setAutoRead(true);
      }
    }
  }

  /** Called by the connection actor, on its own thread, once it handled a frame. */
  @Override
  public void frameHandled() {
    if (UNHANDLED.decrementAndGet(this) < INBOUND_WINDOW && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (fragments != null) {
      fragments.release();
      fragments = null;
    }
    tellEnd(ConnectionActor.InboundCompleted.INSTANCE);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A broken socket or a frame the WebSocket decoder refused (it has sent its close).
    log.debug("device socket failed", cause);
    tellEnd(new ConnectionActor.InboundFailed(cause));
    ctx.close();
  }

  private void tellEnd(ConnectionActor.Command end) {
    if (!endTold) {
      endTold = true;
      connection.tell(end);
    }
  }

  // ---- outbound ----

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      writeOutbound();
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** Writes waiting frames while the socket takes them; on the event loop only. */
  private void writeOutbound() {
    if (finished) {
      return;
    }
    if (outbound.isClosing() && !closeDeadlineSet) {
      closeDeadlineSet = true;
      // A reader that stopped reading cannot hold its socket open past the close timeout.
      ctx.executor().schedule(() -> ctx.close(), closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    boolean wrote = false;
    while (ctx.channel().isWritable()) {
      int depth = outbound.depth();
      WebSocketFrame frame = take();
      if (frame != null) {
        ctx.write(frame, ctx.voidPromise());
        wrote = true;
        metrics.frameOut();
        metrics.outboundQueueDepth(depth);
        continue;
      }
      if (outbound.isFinished()) {
        finished = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
            .addListener(ChannelFutureListener.CLOSE);
        return;
      }
      if (!outbound.awaitWork()) {
        break;
      }
    }
    if (wrote) {
      ctx.flush();
    }
  }

  private WebSocketFrame take() {
    if (outbound.format() == WireFormat.PROTOBUF) {
      byte[] frame = outbound.takeBinary();
      return frame == null ? null : new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame));
    }
    byte[] frame = outbound.takeJsonUtf8();
    return frame == null ? null : new TextWebSocketFrame(Unpooled.wrappedBuffer(frame));
  }
}
