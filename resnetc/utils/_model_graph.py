"""A model's graph for TensorBoard's Graphs tab (SummaryWriter.add_graph), from one forward pass.

Forward hooks record each module call (its inputs, output and parent call); the autograd tape
links what lies between calls. Walking back from the output, a module with children expands into
a scope (``ResNet/Sequential[layer1]/Bottleneck[0]``) holding its children's calls and the plain
ops run directly in its forward (the residual ``add``), and a module without children is one
node, as in torch's traced graphs. Blocks run layer by layer while hooked, so they show their
inner layers. Node names, the ``_output_shapes`` attribute and the IO nodes follow torch's
writer, so TensorBoard draws the graph the same way.
"""
from resnetc.tensor import Tensor, enable_grad


def _key(tensor):
    """What identifies a tensor's value: its tape node (an in-place op gives the same Tensor
    object a new node), or the tensor itself for inputs and parameters."""
    return id(tensor._node) if tensor._node is not None else id(tensor)


def _value(tensor):
    """(key, tape node, shape): a tensor's value as it is now (its node may change later)."""
    return _key(tensor), tensor._node, tensor.shape


class _Call:
    __slots__ = ("module", "scope", "inputs", "output", "parent", "children")

    def __init__(self, module, scope, inputs, parent):
        self.module, self.scope, self.inputs, self.parent = module, scope, inputs, parent
        self.output, self.children = None, []  # values: (key, tape node, shape)


def _record_calls(model, inputs):
    """Runs model(*inputs) with grad on; returns (root call, {output key: innermost call})."""
    stack, produced, handles, names = [], {}, [], {}
    for name, module in model.named_modules():
        names[id(module)] = name.rsplit(".", 1)[-1] if name else ""

    def pre(module, args):
        parent = stack[-1] if stack else None
        label = f"{type(module).__name__}[{names.get(id(module), '?')}]" if parent else type(module).__name__
        call = _Call(module, f"{parent.scope}/{label}" if parent else label,
                     [_value(a) for a in args if isinstance(a, Tensor)], parent)
        if parent:
            parent.children.append(call)
        stack.append(call)

    def post(module, args, output):
        call = stack.pop()
        if not isinstance(output, Tensor):
            raise NotImplementedError(f"add_graph: {call.scope} returned {type(output).__name__}; "
                                      f"only modules returning one Tensor can be drawn")
        call.output = _value(output)
        produced.setdefault(call.output[0], call)
        if not stack:
            stack.append(call)  # the root stays for the caller

    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))
    try:
        with enable_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return stack[-1], produced


class _GraphBuilder:
    def __init__(self, produced):
        self.produced, self.inputs = produced, {}
        self.nodes, self.names, self.by_key = [], set(), {}

    def _unique(self, name):
        base, i = name, 1
        while name in self.names:
            name = f"{base}_{i}"
            i += 1
        self.names.add(name)
        return name

    def add(self, name, op, inputs, shape):
        name = self._unique(name)
        self.nodes.append((name, op, inputs, tuple(int(s) for s in shape)))
        return name

    def source(self, value, call, bound):
        """The node that produced value = (key, tape node, shape) as seen inside `call`
        (bound: its inputs' node names by key), or None for parameters and constants."""
        key, node, shape = value
        for table in (bound, self.inputs, self.by_key):
            if key in table:
                return table[key]
        inner = self.produced.get(key)  # the innermost call that returned it
        while inner is not None and inner.parent is not call:
            inner = inner.parent  # up to the child of `call` that returned it, if any
        if inner is not None:
            name = self.emit(inner, [self.source(v, call, bound) for v in inner.inputs])
        elif node is None or node[1] is None:
            return None  # a parameter or a constant: not drawn (torch hides its GetAttr nodes)
        else:
            op = getattr(node[1], "__qualname__", "op").split(".")[0]
            args = [_value(x) for x in node[0] if isinstance(x, Tensor)]
            sources = [s for s in (self.source(a, call, bound) for a in args) if s is not None]
            name = self.add(f"{call.scope}/{op}", op, sources, shape)
        self.by_key[key] = name
        return name

    def emit(self, call, input_names):
        """Nodes of one module call whose inputs come from `input_names`; returns its output node."""
        if not call.children:
            return self.add(call.scope, type(call.module).__name__, [n for n in input_names if n],
                            call.output[2])
        bound = {v[0]: n for v, n in zip(call.inputs, input_names) if n}
        return self.source(call.output, call, bound)


def model_graph(model, inputs):
    """(GraphDef, list of (name, op, inputs, shape)) of model run on `inputs` (a Tensor, array or
    tuple of them), in eval mode as torch's add_graph traces."""
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboardX.proto.versions_pb2 import VersionDef

    if inputs is None:
        raise ValueError("add_graph needs input_to_model: an example batch to run the model on")
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
    was_training = model.training
    model.train(False)
    try:
        root, produced = _record_calls(model, inputs)
    finally:
        model.train(was_training)
    builder = _GraphBuilder(produced)
    input_names = [builder.add(f"input/input.{i}", "IO Node", [], x.shape) for i, x in enumerate(inputs)]
    builder.inputs = {_key(x): n for x, n in zip(inputs, input_names)}
    last = builder.emit(root, input_names)
    builder.add("output/output.1", "IO Node", [last], root.output[2])

    def shape_attr(shape):
        dims = [TensorShapeProto.Dim(size=s) for s in shape]
        return AttrValue(list=AttrValue.ListValue(shape=[TensorShapeProto(dim=dims)]))

    nodes = [NodeDef(name=name, op=op, input=inputs_, attr={"_output_shapes": shape_attr(shape)})
             for name, op, inputs_, shape in builder.nodes]
    return GraphDef(node=nodes, versions=VersionDef(producer=22)), builder.nodes
