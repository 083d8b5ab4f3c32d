"""A small class-per-folder tree with the corner cases of torchvision's indexing."""
import os


def _touch(path, data=b""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_tree(root, jpeg_bytes=b"", with_loop=False):
    files = [
        "cat/b.jpg", "cat/a.JPG", "cat/c.jpeg", "cat/readme.txt", "cat/.hidden.png",
        "cat/sub/z.png", "cat/sub-x/y.png", "cat/sub/deeper/w.webp", "cat/sub.d/v.bmp",
        "dog/1.png", "dog/10.png", "dog/2.PNG", "dog/x.tiff", "dog/notes.md",
        "Zebra/q.ppm", "Zebra/r.pgm",
        "empty_class/only.txt",
        "top_level_file.jpg",
    ]
    for f in files:
        _touch(os.path.join(root, f), jpeg_bytes)
    os.makedirs(os.path.join(root, "cat", "folder.jpg"))   # a folder with an image extension
    os.makedirs(os.path.join(root, "bare_class"))            # no files at all
    os.symlink(os.path.join(root, "dog"), os.path.join(root, "cat", "link_to_dog"))
    if with_loop:  # torchvision's os.walk would descend ~40 levels into it
        os.symlink(os.path.join(root, "cat"), os.path.join(root, "cat", "sub", "loop"))
    return root
