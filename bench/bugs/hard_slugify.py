"""URL helpers."""


def slugify(title):
    """Turn a title into a URL slug: lower case letters and digits, any run of other characters
    becomes one "-", and the slug never starts or ends with "-".

    >>> slugify("Hello, World!")
    'hello-world'
    >>> slugify("already-a-slug")
    'already-a-slug'
    >>> slugify("  Spaces   everywhere ")
    'spaces-everywhere'
    """
    out = []
    dash = False
    for ch in title.lower():
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out)


def check() -> None:
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("already-a-slug") == "already-a-slug"
    assert slugify("  Spaces   everywhere ") == "spaces-everywhere"
    assert slugify("C'est déjà l'été") == "c-est-déjà-l-été"
    assert slugify("!!!") == ""
    assert slugify("") == ""
    assert slugify("Top 10 Tips") == "top-10-tips"
