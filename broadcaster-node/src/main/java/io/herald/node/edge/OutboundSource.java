package io.herald.node.edge;

import io.herald.node.connection.OutboundBuffer;
import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.WireFormat;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Writes one connection's {@link OutboundBuffer} to its WebSocket: takes a frame whenever
 * the socket can take one and sleeps until woken otherwise. A closing buffer that cannot
 * flush its last frame within the close timeout fails the stream, which aborts the socket.
 */
final class OutboundSource extends GraphStage<SourceShape<Message>> {

  private final Outlet<Message> out = Outlet.create("OutboundSource.out");
  private final SourceShape<Message> shape = SourceShape.of(out);
  private final OutboundBuffer buffer;
  private final Duration closeTimeout;
  private final NodeMetrics metrics;

  OutboundSource(OutboundBuffer buffer, Duration closeTimeout, NodeMetrics metrics) {
    this.buffer = buffer;
    this.closeTimeout = closeTimeout;
    this.metrics = metrics;
  }

  @Override
  public SourceShape<Message> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private boolean closeDeadlineSet;

      {
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pushNext();
          }
        });
      }

      @Override
      public void preStart() {
        AsyncCallback<Object> wake = createAsyncCallback(ignored -> pushNext());
        buffer.onWakeup(() -> wake.invoke(Boolean.TRUE));
      }

      @Override
      public void onTimer(Object timerKey) {
        failStage(new TimeoutException("connection could not flush its last frame within " + closeTimeout));
      }

      private void pushNext() {
        if (buffer.isClosing() && !closeDeadlineSet) {
          closeDeadlineSet = true;
          scheduleOnce("close-deadline", closeTimeout);
        }
        while (isAvailable(out)) {
          int depth = buffer.depth();
          Message next = take();
          if (next != null) {
            push(out, next);
            metrics.frameOut();
            metrics.outboundQueueDepth(depth);
            return;
          }
          if (buffer.isFinished()) {
            completeStage();
            return;
          }
          if (!buffer.awaitWork()) {
            return;
          }
        }
      }

      private Message take() {
        if (buffer.format() == WireFormat.PROTOBUF) {
          byte[] frame = buffer.takeBinary();
          return frame == null ? null : BinaryMessage.create(ByteString.fromArrayUnsafe(frame));
        }
        String frame = buffer.takeJson();
        return frame == null ? null : TextMessage.create(frame);
      }
    };
  }
}
