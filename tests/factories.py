"""One factory per model of the web app (factory_boy). Import from tests.factories."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from gpequity.web.orgs.models import Membership, Organisation, OrgKind, Role

PASSWORD = "password"
_FIRST_NAMES = ("Ysolde", "Perpetua", "Thaddeus", "Ignatia", "Leofric", "Wynflaed")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    # Names are fixed, not Faker's: a random "Benjamin Moore" once put "Moor" in a page that a
    # test held free of another PCN's "Moor Surgery". These words appear in no fixture.
    first_name = factory.Sequence(lambda n: _FIRST_NAMES[n % len(_FIRST_NAMES)])
    last_name = factory.Sequence(lambda n: f"Quillfeather{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ICBFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("ods_code",)

    kind = OrgKind.ICB
    ods_code = factory.Sequence(lambda n: f"Q{n:02d}")
    name = factory.Sequence(lambda n: f"Test ICB {n}")


class PCNFactory(ICBFactory):
    kind = OrgKind.PCN
    ods_code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.Sequence(lambda n: f"Test PCN {n}")
    parent = factory.SubFactory(ICBFactory)


class PracticeFactory(ICBFactory):
    kind = OrgKind.PRACTICE
    ods_code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Test Practice {n}")
    parent = factory.SubFactory(PCNFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(PracticeFactory)
    role = Role.MEMBER


def member(org, role, username=None):
    """A user with ``role`` at ``org``."""
    user = UserFactory(username=username) if username else UserFactory()
    MembershipFactory(user=user, organisation=org, role=role)
    return user
