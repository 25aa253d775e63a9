from portal.people.models import Person
from tests import factories
from vouchers.models import Voucher
from vouchers.services import voucher_issue


def resident_with_voucher(**extra) -> tuple[Person, Voucher]:
    person = factories.person(**extra)
    return person, voucher_issue(person=person, channel=Voucher.Channel.APP)


def pharmacy():
    return factories.institution(kind="pharmacy")


def hospital():
    return factories.institution(kind="hospital", level="2")
