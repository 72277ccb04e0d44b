package io.herald.node.edge;

import io.herald.node.connection.TokenBucket;
import io.herald.node.metrics.NodeMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;

/**
 * Paces the Netty edge's accepts to {@code herald.connection.accept-rate}: once the bucket
 * is empty the server socket stops accepting until the next token is due. Devices beyond
 * the rate wait in the kernel's accept backlog (or, past it, resend their SYN) and cost the
 * node nothing meanwhile, where refusing them would cost an HTTP exchange each, again at
 * every retry. Sits in the server channel's pipeline, on the one accepting thread.
 */
final class AcceptPacer extends ChannelInboundHandlerAdapter {

  private final TokenBucket bucket;
  private final NodeMetrics metrics;

  AcceptPacer(TokenBucket bucket, NodeMetrics metrics) {
    this.bucket = bucket;
    this.metrics = metrics;
  }

  @Override
  public void channelRead(ChannelHandlerContext context, Object accepted) {
    // An accept the read loop made just after the bucket ran dry goes through all the same.
    bucket.tryTake();
    context.fireChannelRead(accepted);
    long wait = bucket.nanosUntilNextToken();
    if (wait > 0 && context.channel().config().isAutoRead()) {
      context.channel().config().setAutoRead(false);
      metrics.acceptPaused();
      context.executor().schedule(() -> context.channel().config().setAutoRead(true), wait, TimeUnit.NANOSECONDS);
    }
  }
}
