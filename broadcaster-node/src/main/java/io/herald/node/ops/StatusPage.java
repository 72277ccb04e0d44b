package io.herald.node.ops;

import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.ClusterNode;
import io.herald.protocol.v1.ClusterStatus;
import io.herald.protocol.v1.NodeStatus;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The node's status as a page for people ({@code GET /status}): what {@code GET /v1/node}
 * answers, every member of the cluster as this node sees it with the numbers each gave of
 * itself ({@code GET /v1/cluster}) and their sums, and this node's counters. Plain HTML that
 * reloads itself every few seconds; nothing is fetched by script.
 */
public final class StatusPage {

  /** How often the page reloads itself. */
  static final int REFRESH_SECONDS = 5;

  private StatusPage() {}

  public static String render(NodeStatus status, ClusterStatus cluster) {
    StringBuilder html = new StringBuilder(4096);
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"refresh\" content=\"").append(REFRESH_SECONDS).append("\">")
        .append("<title>Herald ").append(escape(status.getNodeId())).append("</title>")
        .append("<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;")
        .append("margin-bottom:1.5em}td,th{padding:2px 12px;text-align:left;border-bottom:1px solid #ddd}")
        .append("td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00}</style></head><body>\n");
    html.append("<h1>Herald node ").append(escape(status.getNodeId())).append("</h1>\n");

    html.append("<h2>This node</h2>\n<table>\n");
    row(html, "member status", status.getMemberStatus() + (status.getDraining() ? ", draining" : ""));
    row(html, "up for", uptime(status.getUptimeMs()));
    number(html, "open connections", status.getConnectionsOpen());
    number(html, "active topics", status.getTopicsActive());
    number(html, "resident device entities", status.getDeviceEntities());
    number(html, "resident group aggregators", status.getGroupAggregators());
    number(html, "API requests in flight", status.getApiRequestsInFlight());
    number(html, "kept for resumes (KB)", status.getTopicHistoryBytes() / 1024);
    number(html, "heap used (MB)", status.getHeapUsedBytes() / (1024 * 1024));
    number(html, "heap after the latest collection (MB)", status.getHeapAfterGcBytes() / (1024 * 1024));
    html.append("</table>\n");

    html.append("<h2>Cluster</h2>\n<table>\n<tr><th>member</th><th>status</th><th>reachable</th><th></th>")
        .append("<th>node</th><th>connections</th><th>topics</th><th>device entities</th><th>kept (KB)</th>")
        .append("<th>heap after GC (MB)</th><th>up for</th></tr>\n");
    for (ClusterNode node : cluster.getNodesList()) {
      ClusterMember member = node.getMember();
      html.append("<tr><td>").append(escape(member.getAddress())).append("</td><td>")
          .append(escape(member.getStatus())).append("</td><td")
          .append(member.getReachable() ? ">yes" : " class=\"bad\">no").append("</td><td>")
          .append(member.getLeader() ? "leader" : "").append(member.getLeader() && member.getSelf() ? ", " : "")
          .append(member.getSelf() ? "this node" : "").append("</td>");
      if (node.hasStatus()) {
        NodeStatus its = node.getStatus();
        html.append("<td>").append(escape(its.getNodeId())).append(its.getDraining() ? ", draining" : "")
            .append("</td>");
        numberCell(html, its.getConnectionsOpen());
        numberCell(html, its.getTopicsActive());
        numberCell(html, its.getDeviceEntities());
        numberCell(html, its.getTopicHistoryBytes() / 1024);
        numberCell(html, its.getHeapAfterGcBytes() / (1024 * 1024));
        html.append("<td>").append(uptime(its.getUptimeMs())).append("</td>");
      } else {
        html.append("<td colspan=\"7\" class=\"bad\">no answer</td>");
      }
      html.append("</tr>\n");
    }
    totals(html, cluster);
    html.append("</table>\n");

    html.append("<h2>This node's counters since it started</h2>\n<table>\n");
    Map<String, Long> counters = new TreeMap<>(status.getCountersMap());
    counters.forEach((name, value) -> number(html, name, value));
    html.append("</table>\n<p>The same as JSON: <a href=\"/v1/node\">/v1/node</a>, ")
        .append("<a href=\"/v1/cluster\">/v1/cluster</a>.</p>\n</body></html>\n");
    return html.toString();
  }

  /**
   * The cluster's sums over the members that answered. Topics are left out: each node counts those
   * with subscribers of its own, so a topic followed on several nodes is in several counts.
   */
  private static void totals(StringBuilder html, ClusterStatus cluster) {
    long answered = 0;
    long connections = 0;
    long deviceEntities = 0;
    long keptBytes = 0;
    long heapAfterGcBytes = 0;
    for (ClusterNode node : cluster.getNodesList()) {
      if (node.hasStatus()) {
        NodeStatus its = node.getStatus();
        answered++;
        connections += its.getConnectionsOpen();
        deviceEntities += its.getDeviceEntities();
        keptBytes += its.getTopicHistoryBytes();
        heapAfterGcBytes += its.getHeapAfterGcBytes();
      }
    }
    html.append("<tr><th>cluster</th><th colspan=\"4\">").append(answered).append(" of ")
        .append(cluster.getNodesCount()).append(" members answered</th>");
    numberCell(html, connections);
    html.append("<td></td>");
    numberCell(html, deviceEntities);
    numberCell(html, keptBytes / 1024);
    numberCell(html, heapAfterGcBytes / (1024 * 1024));
    html.append("<td></td></tr>\n");
  }

  private static void row(StringBuilder html, String name, String value) {
    html.append("<tr><td>").append(escape(name)).append("</td><td>").append(escape(value)).append("</td></tr>\n");
  }

  private static void numberCell(StringBuilder html, long value) {
    html.append("<td class=\"n\">").append(value).append("</td>");
  }

  private static void number(StringBuilder html, String name, long value) {
    html.append("<tr><td>").append(escape(name)).append("</td><td class=\"n\">").append(value).append("</td></tr>\n");
  }

  private static String uptime(long millis) {
    Duration up = Duration.ofMillis(millis);
    return up.toDays() > 0
        ? String.format("%d d %d h", up.toDays(), up.toHoursPart())
        : String.format("%d h %d min %d s", up.toHours(), up.toMinutesPart(), up.toSecondsPart());
  }

  /** Node ids and addresses come from configuration: nothing of them is markup. */
  static String escape(String text) {
    StringBuilder escaped = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> escaped.append("&lt;");
        case '>' -> escaped.append("&gt;");
        case '&' -> escaped.append("&amp;");
        case '"' -> escaped.append("&quot;");
        case '\'' -> escaped.append("&#39;");
        default -> escaped.append(c);
      }
    }
    return escaped.toString();
  }
}
