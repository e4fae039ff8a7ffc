package org.parley.cli.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.stream.Collectors;
import org.parley.cli.commands.Handler;
import org.parley.client.ClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over any transport: a request object or a
 * batch array in, the response (or {@code null} when only notifications came) out. Bad input gets
 * an error object and never ends the connection; the handlers' exceptions become error objects
 * ({@link RpcError}).
 */
public final class JsonRpc {
  /** Requests in one batch, at most. */
  public static final int MAX_BATCH = 100;

  private static final Logger log = LoggerFactory.getLogger(JsonRpc.class);

  private final Methods methods;
  private final ObjectMapper json =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
          .enable(DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS);

  public JsonRpc(Methods methods) {
    this.methods = methods;
  }

  public ObjectMapper mapper() {
    return json;
  }

  /** Handles the text of one request or batch; returns the response text, or {@code null} for none. */
  public String handle(String text, RpcSession session) {
    JsonNode response = handle(parse(text), session);
    return response == null ? null : write(response);
  }

  private JsonNode parse(String text) {
    try {
      JsonNode node = json.readTree(text);
      return node == null ? json.missingNode() : node;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** Handles a parsed request or batch ({@code null}: it did not parse). */
  public JsonNode handle(JsonNode request, RpcSession session) {
    if (request == null || request.isMissingNode()) {
      return error(null, RpcError.of(RpcError.PARSE_ERROR, "parse error: the request is not JSON"));
    }
    if (!request.isArray()) {
      return call(request, session);
    }
    if (request.isEmpty()) {
      return error(null, RpcError.of(RpcError.INVALID_REQUEST, "an empty batch"));
    }
    if (request.size() > MAX_BATCH) {
      return error(null, RpcError.of(RpcError.INVALID_REQUEST, "a batch holds at most " + MAX_BATCH + " requests"));
    }
    ArrayNode responses = json.createArrayNode();
    for (JsonNode one : request) {
      ObjectNode response = call(one, session);
      if (response != null) {
        responses.add(response);
      }
    }
    return responses.isEmpty() ? null : responses;
  }

  private ObjectNode call(JsonNode request, RpcSession session) {
    if (!request.isObject()) {
      return error(null, RpcError.of(RpcError.INVALID_REQUEST, "a request is a JSON object"));
    }
    JsonNode id = request.get("id");
    if (id != null && !(id.isTextual() || id.isIntegralNumber() || id.isNull())) {
      return error(null, RpcError.of(RpcError.INVALID_REQUEST, "the id must be a string, an integer or null"));
    }
    if (!"2.0".equals(request.path("jsonrpc").textValue())) {
      return error(id, RpcError.of(RpcError.INVALID_REQUEST, "not a JSON-RPC 2.0 request (\"jsonrpc\": \"2.0\")"));
    }
    JsonNode method = request.get("method");
    if (method == null || !method.isTextual()) {
      return error(id, RpcError.of(RpcError.INVALID_REQUEST, "the method must be a string"));
    }
    JsonNode params = request.get("params");
    if (params != null && !params.isObject() && !params.isNull()) {
      return error(id, RpcError.of(RpcError.INVALID_PARAMS, "params must be an object of named parameters"));
    }
    ObjectNode named = params == null || params.isNull() ? json.createObjectNode() : ((ObjectNode) params).deepCopy();
    JsonNode account = named.remove("account");
    boolean notification = id == null;
    try {
      if (account != null && !account.isTextual()) {
        throw new RpcException(RpcError.INVALID_PARAMS, "account must be a string");
      }
      Object result = invoke(method.textValue(), named, account == null ? null : account.textValue(), id, session);
      return notification ? null : success(id, json.valueToTree(result));
    } catch (RpcException e) {
      return notification ? null : error(id, e.error());
    } catch (IllegalArgumentException e) {
      return notification ? null : error(id, RpcError.of(RpcError.INVALID_PARAMS, e.getMessage()));
    } catch (ClientException e) {
      return notification ? null : error(id, RpcError.of(e));
    } catch (RuntimeException e) {
      log.warn("method {} failed", method.textValue(), e);
      return notification
          ? null
          : error(id, RpcError.of(RpcError.INTERNAL_ERROR, "internal error: " + e.getClass().getSimpleName()));
    }
  }

  private Object invoke(String method, ObjectNode params, String account, JsonNode id, RpcSession session) {
    session.authorize(method);
    Object own = session.own(method, params, account);
    if (own != RpcSession.NOT_MINE) {
      return own;
    }
    Handler<?, ?> handler = methods.get(method);
    if (handler == null) {
      throw new RpcException(RpcError.METHOD_NOT_FOUND, "no method '" + method + "'");
    }
    return run(handler, params, account, id, session);
  }

  private <P, R> R run(Handler<P, R> handler, ObjectNode params, String account, JsonNode id, RpcSession session) {
    return session.run(handler, params(params, handler.params()), account, session.caller(id, account));
  }

  /** A method's parameters as its record; a parameter it does not know is refused by name. */
  public <P> P params(ObjectNode params, Class<P> type) {
    try {
      return json.treeToValue(params, type);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          "unknown parameter '" + e.getPropertyName() + "'"
              + (e.getKnownPropertyIds() == null || e.getKnownPropertyIds().isEmpty()
                  ? "; this method takes none"
                  : "; it takes " + e.getKnownPropertyIds().stream().map(String::valueOf).sorted()
                      .collect(Collectors.joining(", "))));
    } catch (MismatchedInputException e) {
      String name = e.getPath().isEmpty() ? "?" : e.getPath().getFirst().getFieldName();
      throw new IllegalArgumentException("parameter '" + name + "' has the wrong type");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid parameters: " + e.getOriginalMessage());
    }
  }

  public ObjectNode success(JsonNode id, JsonNode result) {
    ObjectNode response = json.createObjectNode();
    response.put("jsonrpc", "2.0");
    response.set("result", result);
    response.set("id", id);
    return response;
  }

  public ObjectNode error(JsonNode id, RpcError error) {
    ObjectNode response = json.createObjectNode();
    response.put("jsonrpc", "2.0");
    ObjectNode body = response.putObject("error");
    body.put("code", error.code());
    body.put("message", error.message());
    if (error.data() != null) {
      body.set("data", json.valueToTree(error.data()));
    }
    response.set("id", id == null ? json.nullNode() : id);
    return response;
  }

  /** A notification ({@code "method":"receive"}, ...): a request without an id. */
  public ObjectNode notification(String method, ObjectNode params) {
    ObjectNode note = json.createObjectNode();
    note.put("jsonrpc", "2.0");
    note.put("method", method);
    note.set("params", params);
    return note;
  }

  public String write(JsonNode node) {
    try {
      return json.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
