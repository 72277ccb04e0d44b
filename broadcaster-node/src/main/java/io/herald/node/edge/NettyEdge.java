package io.herald.node.edge;

import io.herald.node.connection.TokenBucket;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device edge on Netty: a WebSocket server on its own port whose idle connections cost
 * a few kilobytes. Each accepted socket reads one HTTP upgrade request
 * ({@link UpgradeHandler}); an admitted one becomes a {@link DeviceSocket} in front of its
 * connection actor. Native epoll where the platform has it, NIO otherwise.
 */
final class NettyEdge {

  private static final Logger log = LoggerFactory.getLogger(NettyEdge.class);

  /**
   * Sockets waiting in the kernel to be accepted, for bursts of reconnecting devices and for
   * those the accept rate holds back.
   */
  private static final int ACCEPT_BACKLOG = 4096;

  /** Bytes of an upgrade request's body (it has none; anything more is refused). */
  private static final int MAX_UPGRADE_BODY_BYTES = 8192;

  private final EventLoopGroup acceptor;
  private final EventLoopGroup workers;
  private final Channel server;

  private NettyEdge(EventLoopGroup acceptor, EventLoopGroup workers, Channel server) {
    this.acceptor = acceptor;
    this.workers = workers;
    this.server = server;
  }

  /**
   * Binds {@code host} and the edge port, pacing accepts to {@code acceptRate} if there is
   * one; fails when the port cannot be bound.
   */
  static CompletionStage<NettyEdge> start(String host, EdgeSettings settings, DeviceAdmission admission,
      Optional<TokenBucket> acceptRate) {
    boolean epoll = settings.nativeTransport() && Epoll.isAvailable();
    EventLoopGroup acceptor = eventLoops(epoll, 1, "herald-edge-accept");
    EventLoopGroup workers = eventLoops(epoll, settings.threads(), "herald-edge");
    Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    String webSocketUrl = "ws://" + host + ":" + settings.nettyPort() + UpgradeHandler.PATH;
    int maxFrameBytes = admission.services().settings().maxFrameBytes();
    WebSocketDecoderConfig decoderConfig = UpgradeHandler.decoderConfig(maxFrameBytes);

    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(acceptor, workers)
        .channel(channelType)
        .option(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
            new WriteBufferWaterMark(settings.writeBufferLowWaterMark(), settings.writeBufferHighWaterMark()))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline()
                .addLast(UpgradeHandler.TIMEOUT,
                    new ReadTimeoutHandler(settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS))
                .addLast(new HttpServerCodec(4096, settings.maxHeaderBytes(), 8192))
                .addLast(new HttpObjectAggregator(MAX_UPGRADE_BODY_BYTES))
                .addLast(new UpgradeHandler(admission, webSocketUrl, maxFrameBytes, decoderConfig));
          }
        });

    acceptRate.ifPresent(bucket -> bootstrap.handler(new AcceptPacer(bucket, admission.services().metrics())));

    CompletableFuture<NettyEdge> started = new CompletableFuture<>();
    bootstrap.bind(new InetSocketAddress(host, settings.nettyPort())).addListener(bound -> {
      if (bound.isSuccess()) {
        Channel server = ((io.netty.channel.ChannelFuture) bound).channel();
        log.info("device WebSockets on ws://{}:{}{} (Netty, {})", host,
            ((InetSocketAddress) server.localAddress()).getPort(), UpgradeHandler.PATH, epoll ? "epoll" : "nio");
        started.complete(new NettyEdge(acceptor, workers, server));
      } else {
        acceptor.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        started.completeExceptionally(bound.cause());
      }
    });
    return started;
  }

  private static EventLoopGroup eventLoops(boolean epoll, int threads, String name) {
    var factory = new DefaultThreadFactory(name, true);
    return epoll ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
  }

  /** Stops accepting devices; those connected stay until they are drained. */
  CompletionStage<Void> unbind() {
    CompletableFuture<Void> unbound = new CompletableFuture<>();
    server.close().addListener(closed -> unbound.complete(null));
    acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    return unbound;
  }

  /** Closes every socket still open and stops the event loops. */
  CompletionStage<Void> terminate() {
    CompletableFuture<Void> terminated = new CompletableFuture<>();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(done -> terminated.complete(null));
    return terminated;
  }
}
