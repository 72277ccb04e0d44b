package io.herald.node;

import io.herald.node.aggregate.GroupAggregator;
import io.herald.node.aggregate.GroupFeed;
import io.herald.node.aggregate.GroupRebuild;
import io.herald.node.aggregate.MemberQueries;
import io.herald.node.api.ApiRoutes;
import io.herald.node.api.HttpServer;
import io.herald.node.cluster.ClusterDrops;
import io.herald.node.connection.ConnectionServices;
import io.herald.node.connection.DepartedNodes;
import io.herald.node.connection.LocalConnections;
import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceTopicInterest;
import io.herald.node.device.LostReports;
import io.herald.node.edge.DeviceEdge;
import io.herald.node.metrics.HeapAfterGc;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.ops.ClusterGauges;
import io.herald.node.ops.ClusterMembers;
import io.herald.node.ops.ClusterStatusView;
import io.herald.node.ops.EdgeState;
import io.herald.node.ops.NodeStatusService;
import io.herald.node.ops.StartupFailure;
import io.herald.node.security.AuthSettings;
import io.herald.node.security.DevCredentials;
import io.herald.node.security.DeviceTokens;
import io.herald.node.topic.HistoryBudget;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicRegistry;
import io.herald.node.topic.TopicService;
import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.NodeStatus;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The root of a node: starts the per-node actors and the HTTP server. */
public final class Guardian {

  private static final Logger log = LoggerFactory.getLogger(Guardian.class);

  private Guardian() {}

  /**
   * Management HTTP (members, leave, down, health checks) and, where configured, Cluster
   * Bootstrap. A node that cannot bind its management port stops, as it does for HTTP.
   */
  private static void startManagement(ActorSystem<?> system, NodeSettings settings) {
    var classic = Adapter.toClassic(system);
    PekkoManagement.get(classic).start().whenComplete((uri, failure) -> {
      if (failure != null) {
        log.error("could not start management HTTP; stopping", failure);
        StartupFailure.stopNode();
      } else {
        log.info("management on {}", uri);
      }
    });
    if (settings.cluster().bootstrap()) {
      ClusterBootstrap.get(classic).start();
    }
  }

  public static Behavior<Void> create(NodeSettings settings) {
    return Behaviors.setup(context -> {
      long startedAtMillis = System.currentTimeMillis();
      Cluster cluster = Cluster.get(context.getSystem());
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(context.getSystem());
      if (settings.cluster().joinSelf()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      NodeMetrics metrics = new NodeMetrics();
      HeapAfterGc.report(metrics);
      var devices = DeviceEntity.directory(context.getSystem());
      var historyBudget = new HistoryBudget(settings.topic().history().nodeMaxBytes(), metrics);
      var topicHomes = TopicEntity.init(context.getSystem(), settings.topic(), new DeviceTopicInterest(devices),
          historyBudget, metrics);
      var topicRegistry = context.spawn(TopicRegistry.create(settings.topic(), topicHomes, metrics), "topics");
      TopicService topics = new TopicService(topicRegistry, topicHomes, metrics);
      var groups = GroupAggregator.directory(context.getSystem());
      var groupFeed = context.spawn(GroupFeed.create(settings.group(), groups, metrics), "group-feed");
      DeviceEntity.init(context.getSystem(),
          new DeviceEntity.Services(settings.device(), topics, groupFeed, metrics, Clock.systemUTC()));
      context.spawn(LostReports.create(metrics), "lost-reports");
      context.spawn(ClusterDrops.create(metrics, Set.of(TopicEntity.ENTITY_TYPE_KEY.name(),
          DeviceEntity.ENTITY_TYPE_KEY.name(), GroupAggregator.ENTITY_TYPE_KEY.name())), "cluster-drops");
      GroupAggregator.init(context.getSystem(), settings.group(), topics, groupFeed, metrics);
      context.spawn(GroupRebuild.create(devices, groups, settings.group().rebuildRate(),
          settings.group().rebuildAfter()), "group-rebuild");
      var memberQueries = context.spawn(MemberQueries.create(devices, settings.group().queryTimeout()), "member-queries");
      LocalConnections connections = new LocalConnections(settings.connection().maxConnections(), metrics);
      context.spawn(DepartedNodes.create(connections), "departed-nodes");
      ConnectionServices services = new ConnectionServices(settings.nodeId(), settings.connection(),
          settings.topic().maxLength(), topics, devices, connections, metrics, System::nanoTime);

      AuthSettings auth = DevCredentials.complete(settings.auth(),
          "http://" + settings.httpInterface() + ":" + settings.httpPort());
      var deviceEdge = DeviceEdge.start(context.getSystem(), settings, services, new DeviceTokens(auth, Clock.systemUTC()));
      Supplier<List<ClusterMember>> members = () -> ClusterMembers.of(cluster.state(), cluster.selfMember().address());
      // What this node says of itself to any node that shows the cluster; GET /v1/node adds its view of the members.
      Supplier<NodeStatus> ownNumbers = () -> NodeStatus.newBuilder()
          .setNodeId(settings.nodeId())
          .setAddress(cluster.selfMember().address().toString())
          .setUptimeMs(System.currentTimeMillis() - startedAtMillis)
          .setConnectionsOpen(connections.open())
          .setTopicsActive(metrics.activeTopics())
          .setDeviceEntities(metrics.residentDeviceEntities())
          .setGroupAggregators(metrics.residentGroupAggregators())
          .setApiRequestsInFlight(metrics.apiRequestsInFlight())
          .setTopicHistoryBytes(historyBudget.usedBytes())
          .putAllCounters(metrics.snapshot())
          .setHeapUsedBytes(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed())
          .setHeapAfterGcBytes(metrics.heapAfterGc())
          .setDraining(connections.isDraining())
          .setMemberStatus(cluster.selfMember().status().toString())
          .build();
      Supplier<NodeStatus> nodeStatus = () -> ownNumbers.get().toBuilder().addAllMembers(members.get()).build();
      context.spawn(NodeStatusService.create(ownNumbers), "node-status");
      context.spawn(ClusterGauges.create(members, metrics), "cluster-gauges");
      var clusterStatus = new ClusterStatusView(context.getSystem(), members, settings.cluster().statusTimeout(),
          settings.cluster().statusMaxAge());
      var api = new ApiRoutes(topics, devices, groups, memberQueries, settings.group().queryPageSize(),
          context.getSystem().scheduler(), settings.api(), settings.topic().maxLength(), nodeStatus, clusterStatus,
          auth, metrics);
      HttpServer.start(context.getSystem(), settings, HttpServer.routes(deviceEdge.route(), api.route()), connections)
          .thenCombine(deviceEdge.serving(), (bound, serving) -> serving)
          .thenAccept(serving -> EdgeState.get(Adapter.toClassic(context.getSystem())).servingWhile(() ->
              !connections.isDraining() && shutdown.getShutdownReason().isEmpty()));
      startManagement(context.getSystem(), settings);
      return Behaviors.empty();
    });
  }
}
